"""Runs a stopped server left running are failed and refunded, once."""

import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from quickscale.apps.credits.models import LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant, credits_refund
from quickscale.apps.services.charge import ChargeRequest, charge
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.services import service_runs_recover

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    user = get_user_model().objects.create_user(email="recover@example.com")
    credits_grant(user=user, amount=10, kind="payg", idempotency_key="fund")
    return user


def started(user, *, minutes_ago, cost=3):
    """A run charged `minutes_ago` whose server never recorded its outcome."""
    run = charge(
        ChargeRequest(
            user=user,
            service="text_statistics",
            cost=cost,
            input_size=1,
            request_hash="h",
            reference=uuid.uuid4().hex,
            idempotency_key=f"call-{uuid.uuid4().hex}",
        )
    ).run
    ServiceRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return run


def recover(*args):
    out = io.StringIO()
    call_command("quickscale_services", "recover", *args, stdout=out)
    return out.getvalue()


def test_stale_runs_are_failed_and_refunded_and_recent_ones_left_alone(user):
    stale = started(user, minutes_ago=30)
    recent = started(user, minutes_ago=1)
    assert credit_balance_get(user=user).total == 4

    assert service_runs_recover(older_than=timedelta(minutes=10)) == 1

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert stale.status == RunStatus.FAILED and stale.error == "Abandoned"
    assert stale.refund is not None and stale.refund.amount == 3
    assert recent.status == RunStatus.RUNNING and recent.refund is None
    assert credit_balance_get(user=user).total == 7
    assert ledger_sum(user=user) == credit_book_balance(user=user)
    # Again: nothing left to do, nothing refunded twice.
    assert service_runs_recover(older_than=timedelta(minutes=10)) == 0
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_run_refunded_before_its_server_stopped_is_not_refunded_twice(user):
    run = started(user, minutes_ago=30)
    # The server refunded the failed run, then stopped before recording the outcome.
    credits_refund(entry=run.debit, idempotency_key=f"service-refund:{run.pk}")
    assert credit_balance_get(user=user).total == 10

    assert service_runs_recover(older_than=timedelta(minutes=10)) == 1

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.refund is not None
    assert credit_balance_get(user=user).total == 10
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_free_run_is_failed_without_a_refund(user):
    run = started(user, minutes_ago=30, cost=0)
    assert service_runs_recover(older_than=timedelta(minutes=10)) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.refund is None


def test_the_command_says_what_it_did(user):
    started(user, minutes_ago=30)
    started(user, minutes_ago=30)
    assert "Recovered 2 runs left running for more than 10 minutes" in recover()
    assert "Recovered 0 runs left running for more than 5 minutes" in recover("--older-than", "5")


@pytest.mark.parametrize("bad", ["0", "-3", "ten", "1.5"])
def test_the_command_refuses_a_bad_age_and_changes_nothing(user, bad):
    run = started(user, minutes_ago=30)
    with pytest.raises(CommandError, match="whole number of minutes"):
        recover("--older-than", bad)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
