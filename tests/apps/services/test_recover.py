"""Runs past their deadline are failed and refunded once, and a run's own outcome never
overwrites that: a call recovered while it ran gives its caller an error, never a result."""

import io
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from quickscale.apps.credits.models import MAX_CREDITS, EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_consume, credits_grant, credits_refund
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.base import BaseService, run_time_left
from quickscale.apps.services.charge import ChargeRequest, charge
from quickscale.apps.services.models import RunError, RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.apps.services.services import service_run, service_runs_recover
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    user = get_user_model().objects.create_user(email="recover@example.com")
    credits_grant(organization=personal(user), amount=10, kind="payg", idempotency_key="fund")
    return user


def started(user, *, deadline_in, cost=3):
    """A run charged with its deadline `deadline_in` from now, whose outcome nobody wrote."""
    now = timezone.now()
    return charge(
        ChargeRequest(
            organization=personal(user),
            user=user,
            service="text_statistics",
            cost=cost,
            input_size=1,
            request_hash="h",
            reference=uuid.uuid4().hex,
            deadline=now + deadline_in,
            idempotency_key=f"call-{uuid.uuid4().hex}",
        ),
        now=now,
    ).run


def recover(*args):
    out = io.StringIO()
    call_command("quickscale_services", "recover", *args, stdout=out)
    return out.getvalue()


def assert_books_balance(user, expected):
    assert credit_balance_get(organization=personal(user)).total == expected
    assert credit_book_balance(organization=personal(user)) == expected
    assert ledger_sum(organization=personal(user)) == expected


def test_runs_past_their_deadline_are_failed_and_refunded_and_others_left_alone(user):
    stale = started(user, deadline_in=timedelta(seconds=-1))
    live = started(user, deadline_in=timedelta(minutes=5))
    assert credit_balance_get(organization=personal(user)).total == 4

    assert service_runs_recover() == 1

    stale.refresh_from_db()
    live.refresh_from_db()
    assert stale.status == RunStatus.FAILED and stale.error == RunError.ABANDONED
    assert stale.refund is not None and stale.refund.amount == 3
    assert live.status == RunStatus.RUNNING and live.refund is None
    assert_books_balance(user, 7)
    # Again: nothing left to do, nothing refunded twice.
    assert service_runs_recover() == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    # Once the live run's deadline passes, it is recovered too.
    assert service_runs_recover(now=timezone.now() + timedelta(minutes=6)) == 1
    assert_books_balance(user, 10)


def test_a_run_charged_without_a_deadline_is_recovered_after_the_old_ten_minutes(user):
    run = started(user, deadline_in=timedelta(minutes=5))
    ServiceRun.objects.filter(pk=run.pk).update(deadline=None)
    assert service_runs_recover(now=timezone.now() + timedelta(minutes=9)) == 0
    assert service_runs_recover(now=timezone.now() + timedelta(minutes=11)) == 1


def test_a_run_refunded_before_its_server_stopped_is_not_refunded_twice(user):
    run = started(user, deadline_in=timedelta(seconds=-1))
    # The server refunded the failed run, then stopped before recording the outcome.
    credits_refund(entry=run.debit, idempotency_key=f"service-refund:{run.pk}")
    assert credit_balance_get(organization=personal(user)).total == 10

    assert service_runs_recover() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.refund is not None
    assert credit_balance_get(organization=personal(user)).total == 10
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


def test_a_free_run_is_failed_without_a_refund(user):
    run = started(user, deadline_in=timedelta(seconds=-1), cost=0)
    assert service_runs_recover() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.refund is None


def test_a_run_whose_refund_would_pass_the_maximum_still_ends_and_recover_goes_on(user):
    blocked = started(user, deadline_in=timedelta(seconds=-1))
    after = started(user, deadline_in=timedelta(seconds=-1))
    # The balance fills up to the maximum while the runs are out: no room for a refund.
    credits_grant(
        organization=personal(user), amount=MAX_CREDITS - 4, kind="payg", idempotency_key="fill"
    )

    assert service_runs_recover() == 2

    blocked.refresh_from_db()
    after.refresh_from_db()
    assert blocked.status == after.status == RunStatus.FAILED
    assert blocked.refund is None and after.refund is None
    assert credit_balance_get(organization=personal(user)).total == MAX_CREDITS
    assert ledger_sum(organization=personal(user)) == credit_book_balance(
        organization=personal(user)
    )
    # Once there is room, the debit is refunded as any other.
    credits_consume(organization=personal(user), amount=3, idempotency_key="spend")
    credits_refund(entry=blocked.debit, idempotency_key="later")
    assert credit_balance_get(organization=personal(user)).total == MAX_CREDITS


def test_the_command_says_what_it_did(user):
    started(user, deadline_in=timedelta(seconds=-1))
    started(user, deadline_in=timedelta(seconds=-1))
    assert "Recovered 2 runs still running after the deadline" in recover()
    assert "Recovered 0 runs" in recover()


def test_the_command_refuses_the_old_age_option_and_changes_nothing(user):
    run = started(user, deadline_in=timedelta(seconds=-1))
    with pytest.raises(CommandError, match="each run has a deadline"):
        recover("--older-than", "10")
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


class RecoveredMidRun(BaseService):
    """While this call runs, its deadline passes and an operator's recover sweeps it up."""

    name = "recovered_mid_run"
    cost = 3
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        ServiceRun.objects.filter(service=self.name, status=RunStatus.RUNNING).update(
            deadline=timezone.now() - timedelta(seconds=1)
        )
        call_command("quickscale_services", "recover", stdout=io.StringIO())
        return {"answer": 42}


class Overrunning(BaseService):
    name = "overrunning"
    cost = 2
    timeout = 0.05
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        time.sleep(0.1)
        return {"answer": 42}


class Cooperative(BaseService):
    name = "cooperative"
    cost = 1
    timeout = 5
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        return {"left": run_time_left()}


@pytest.fixture
def extra_services():
    for service in (RecoveredMidRun, Overrunning, Cooperative):
        registry.register(service)
    yield
    for service in (RecoveredMidRun, Overrunning, Cooperative):
        registry._services.pop(service.name)


def call(client, token, name):
    return client.post(
        f"/api/v1/services/{name}/run",
        json.dumps({}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_run_recovered_while_running_gives_no_result_and_keeps_its_refund(
    client, user, extra_services
):
    token = api_key_create(organization=personal(user), user=user, name="k").token
    response = call(client, token, "recovered_mid_run")

    run = ServiceRun.objects.get(service="recovered_mid_run")
    assert response.status_code == 504
    body = response.json()
    assert (
        body["error"]["code"] == "deadline_exceeded" and "answer" not in response.content.decode()
    )
    assert body["error"]["run"] == run.pk and body["error"]["balance"] == 10
    assert run.status == RunStatus.FAILED and run.refund is not None and run.result is None
    assert_books_balance(user, 10)
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


def test_a_result_that_comes_after_the_deadline_is_discarded_and_refunded(
    client, user, extra_services
):
    token = api_key_create(organization=personal(user), user=user, name="k").token
    response = call(client, token, "overrunning")

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "deadline_exceeded"
    run = ServiceRun.objects.get(service="overrunning")
    assert run.status == RunStatus.FAILED and run.error == RunError.DEADLINE_EXCEEDED
    assert run.result is None and run.refund is not None and run.duration_ms >= 100
    assert_books_balance(user, 10)
    # Its retry with the same key replays the refusal and charges nothing.
    outcome = service_run(
        organization=personal(user), user=user, name="overrunning", data={}, idempotency_key="again"
    )
    assert outcome.run.timed_out
    assert service_run(
        organization=personal(user), user=user, name="overrunning", data={}, idempotency_key="again"
    ).replayed
    assert_books_balance(user, 10)


def test_a_run_gets_its_deadline_from_the_service_or_the_setting(user, settings, extra_services):
    settings.QUICKSCALE_SERVICE_TIMEOUT = 7
    before = timezone.now()
    run = service_run(
        organization=personal(user), user=user, name="text_statistics", data={"text": "Hi."}
    ).run
    assert before + timedelta(seconds=7) <= run.deadline <= timezone.now() + timedelta(seconds=7)
    outcome = service_run(organization=personal(user), user=user, name="cooperative", data={})
    assert 4 < outcome.run.result["left"] <= 5
    assert run_time_left() is None  # outside a run


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "30", True])
def test_a_bad_timeout_is_refused_before_anything_is_charged(user, settings, bad):
    settings.QUICKSCALE_SERVICE_TIMEOUT = bad
    with pytest.raises(ValueError, match="number of seconds above 0"):
        service_run(
            organization=personal(user), user=user, name="text_statistics", data={"text": "Hi."}
        )
    assert_books_balance(user, 10)
    assert not ServiceRun.objects.exists()
