"""The ledger's clawback: what a lot still holds is taken, what was spent becomes a debt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quickscale.apps.credits.models import CreditLot, EntryKind
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_clawback, credits_consume, credits_grant
from quickscale.exceptions import IdempotencyConflictError
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(django_user_model):
    return personal(django_user_model.objects.create_user(email="ada@example.com", password="x"))


def grant(organization, amount, key="pack", **extra):
    return credits_grant(
        organization=organization, amount=amount, kind="payg", idempotency_key=key, **extra
    )


def test_takes_what_the_lot_holds(organization):
    lot = grant(organization, 1000).lot
    entry = credits_clawback(lot=lot, amount=400, idempotency_key="refund-1")
    assert entry.kind == EntryKind.CLAWBACK
    assert entry.amount == -400
    assert entry.metadata["debt"] == 0
    assert credit_balance_get(organization=organization).total == 600
    assert ledger_sum(organization=organization) == credit_book_balance(organization=organization)


def test_what_was_spent_is_a_debt_and_the_balance_stays_at_zero_or_above(organization):
    lot = grant(organization, 1000).lot
    other = grant(organization, 50, key="other").lot
    credits_consume(organization=organization, amount=900, idempotency_key="spend")
    held = CreditLot.objects.get(pk=lot.pk).remaining
    other_before = CreditLot.objects.get(pk=other.pk).remaining
    entry = credits_clawback(lot=lot, amount=1000, idempotency_key="refund-all")
    assert entry.amount == -held
    assert entry.metadata == {"clawback": 1000, "taken": held, "debt": 1000 - held}
    assert CreditLot.objects.get(pk=lot.pk).remaining == 0
    # Other lots are not touched: the debt is recorded, not taken from other purchases.
    assert CreditLot.objects.get(pk=other.pk).remaining == other_before
    assert credit_balance_get(organization=organization).total >= 0
    assert ledger_sum(organization=organization) == credit_book_balance(organization=organization)


def test_replay_returns_the_first_entry_and_changes_nothing(organization):
    lot = grant(organization, 100).lot
    first = credits_clawback(lot=lot, amount=30, idempotency_key="r")
    again = credits_clawback(lot=lot, amount=30, idempotency_key="r")
    assert again.pk == first.pk
    assert credit_balance_get(organization=organization).total == 70
    with pytest.raises(IdempotencyConflictError):
        credits_clawback(lot=lot, amount=31, idempotency_key="r")


def test_an_expired_lot_gives_nothing_back_and_all_of_it_is_debt(organization):
    now = timezone.now()
    lot = credits_grant(
        organization=organization,
        amount=100,
        kind="subscription",
        idempotency_key="period",
        expires_at=now + timedelta(days=1),
        now=now,
    ).lot
    entry = credits_clawback(
        lot=lot, amount=100, idempotency_key="late", now=now + timedelta(days=2)
    )
    assert entry.amount == 0
    assert entry.metadata["debt"] == 100
