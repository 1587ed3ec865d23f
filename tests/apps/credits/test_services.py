from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from quickscale.apps.credits import services
from quickscale.apps.credits.models import Allocation, CreditLot, EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import (
    credit_balance_get,
    credit_book_balance,
    credit_lots_live,
    ledger_sum,
)
from quickscale.apps.orgs.models import Organization
from quickscale.exceptions import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidCreditRequestError,
    RefundError,
)
from tests.apps.credits.helpers import DAY, MONTH, NOW, consume, grant, key
from tests.orgs import personal

pytestmark = pytest.mark.django_db


def balance(user, now=NOW):
    return credit_balance_get(organization=personal(user), now=now)


def test_a_grant_adds_a_lot_and_one_ledger_entry(user):
    entry = grant(user, 100, "payg", source_type="stripe_checkout", source_id="cs_1")
    assert entry.kind == EntryKind.GRANT and entry.amount == 100
    assert entry.lot.remaining == 100 and entry.lot.source_id == "cs_1"
    assert balance(user).total == balance(user).payg == 100


def test_balance_is_split_by_kind_and_names_the_next_expiry(user):
    grant(user, 50, "subscription", expires_in=MONTH)
    grant(user, 20, "subscription", expires_in=DAY)
    grant(user, 30, "payg")
    grant(user, 5, "promo", expires_in=DAY)
    result = balance(user)
    assert (result.total, result.subscription, result.payg, result.promo) == (105, 70, 30, 5)
    assert result.next_expiry == NOW + DAY
    assert result.next_expiry_amount == 25


def test_debits_spend_subscription_credits_first_soonest_expiry_first(user):
    later = grant(user, 10, "subscription", expires_in=MONTH).lot
    sooner = grant(user, 10, "subscription", expires_in=DAY).lot
    payg = grant(user, 10, "payg").lot
    entry = consume(user, 15)
    drawn = {a.lot_id: a.amount for a in entry.allocations.all()}
    assert drawn == {sooner.pk: 10, later.pk: 5}
    payg.refresh_from_db()
    assert payg.remaining == 10


def test_permanent_lots_are_spent_oldest_first(user):
    old = grant(user, 10, "payg", now=NOW - DAY).lot
    new = grant(user, 10, "promo").lot
    consume(user, 12)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.remaining, new.remaining) == (0, 8)


def test_a_debit_is_all_or_nothing(user):
    grant(user, 10)
    with pytest.raises(InsufficientCreditsError) as caught:
        consume(user, 11)
    assert (caught.value.balance, caught.value.requested) == (10, 11)
    assert balance(user).total == 10
    assert LedgerEntry.objects.filter(kind=EntryKind.DEBIT).count() == 0
    assert not Allocation.objects.exists()


def test_expired_credits_cannot_be_spent_even_before_expire_runs(user):
    grant(user, 10, "subscription", expires_in=DAY)
    later = NOW + 2 * DAY
    assert balance(user, later).total == 0
    with pytest.raises(InsufficientCreditsError):
        consume(user, 1, now=later)
    assert (
        credit_book_balance(organization=personal(user)) == 10
    )  # still on the books until expire closes it


def test_expire_writes_one_entry_per_lapsed_lot_and_is_safe_to_repeat(user):
    lot = grant(user, 10, "subscription", expires_in=DAY).lot
    grant(user, 5, "payg")
    consume(user, 4)
    assert services.credits_expire(now=NOW + 2 * DAY) == 1
    assert services.credits_expire(now=NOW + 3 * DAY) == 0
    expiry = LedgerEntry.objects.get(kind=EntryKind.EXPIRY)
    assert (expiry.amount, expiry.lot_id) == (-6, lot.pk)
    lot.refresh_from_db()
    assert lot.remaining == 0 and lot.expired_at == NOW + 2 * DAY
    assert (
        ledger_sum(organization=personal(user))
        == credit_book_balance(organization=personal(user))
        == 5
    )


def test_expire_leaves_lots_that_have_not_lapsed(user):
    grant(user, 10, "subscription", expires_in=MONTH)
    assert services.credits_expire(now=NOW + DAY) == 0
    assert balance(user, NOW + DAY).total == 10


def test_the_same_idempotency_key_returns_the_first_result_and_changes_nothing(user):
    first = grant(user, 10, idempotency_key="invoice-1")
    again = grant(user, 10, idempotency_key="invoice-1")
    assert again.pk == first.pk
    debit = consume(user, 3, idempotency_key="call-1")
    assert consume(user, 3, idempotency_key="call-1").pk == debit.pk
    assert balance(user).total == 7
    assert LedgerEntry.objects.count() == 2


def test_the_same_key_with_other_arguments_is_an_error(user):
    grant(user, 10, idempotency_key="invoice-1")
    with pytest.raises(IdempotencyConflictError):
        grant(user, 11, idempotency_key="invoice-1")
    consume(user, 1, idempotency_key="call-1")
    with pytest.raises(IdempotencyConflictError):
        consume(user, 2, idempotency_key="call-1")
    assert balance(user).total == 9


def test_idempotency_keys_belong_to_one_user(user):
    other = get_user_model().objects.create_user(email="bob@example.com", password="x")
    grant(user, 10, idempotency_key="same")
    grant(other, 20, idempotency_key="same")
    assert (balance(user).total, balance(other).total) == (10, 20)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True, None])
def test_grants_of_a_bad_amount_are_refused(user, amount):
    with pytest.raises(InvalidCreditRequestError, match="whole number"):
        grant(user, amount)
    assert not CreditLot.objects.exists()


def test_a_grant_whose_expiry_is_past_is_refused(user):
    with pytest.raises(InvalidCreditRequestError, match="already past"):
        grant(user, 10, "promo", expires_in=-timedelta(seconds=1))
    assert not LedgerEntry.objects.exists()


def test_subscription_grants_need_an_expiry(user):
    with pytest.raises(InvalidCreditRequestError, match="expiry"):
        grant(user, 10, "subscription")


def test_unknown_kinds_and_unknown_organizations_are_refused(user):
    with pytest.raises(InvalidCreditRequestError, match="Unknown kind"):
        grant(user, 10, "gold")
    ghost = Organization(name="Ghost", slug="ghost", pk=987654)
    with pytest.raises(InvalidCreditRequestError, match="Unknown organization"):
        grant(ghost, 10)
    assert not LedgerEntry.objects.exists()


def test_a_refund_returns_credits_to_the_lots_they_came_from(user):
    sub = grant(user, 10, "subscription", expires_in=MONTH).lot
    payg = grant(user, 10, "payg").lot
    debit = consume(user, 15)
    refund = services.credits_refund(entry=debit, idempotency_key=key())
    assert refund.amount == 15 and refund.refund_of == debit
    sub.refresh_from_db()
    payg.refresh_from_db()
    assert (sub.remaining, payg.remaining) == (10, 10)
    with pytest.raises(RefundError, match="already been refunded"):
        services.credits_refund(entry=debit, idempotency_key=key())


def test_partial_refunds_never_exceed_the_debit(user):
    grant(user, 10)
    debit = consume(user, 6)
    services.credits_refund(entry=debit, amount=4, idempotency_key=key())
    with pytest.raises(RefundError, match="only 2"):
        services.credits_refund(entry=debit, amount=3, idempotency_key=key())
    services.credits_refund(entry=debit, amount=2, idempotency_key=key())
    assert balance(user).total == 10


def test_credits_refunded_to_an_expired_lot_stay_expired(user):
    grant(user, 10, "subscription", expires_in=DAY)
    grant(user, 10, "payg")
    debit = consume(user, 15)
    services.credits_expire(now=NOW + 2 * DAY)
    refund = services.credits_refund(entry=debit, idempotency_key=key(), now=NOW + 3 * DAY)
    assert refund.amount == 5
    assert refund.metadata == {"refunded": 15, "forfeited": 10}
    assert balance(user, NOW + 3 * DAY).total == 10
    assert (
        ledger_sum(organization=personal(user))
        == credit_book_balance(organization=personal(user))
        == 10
    )


def test_only_debits_can_be_refunded(user):
    entry = grant(user, 10)
    with pytest.raises(RefundError, match="only debits"):
        services.credits_refund(entry=entry, idempotency_key=key())


def test_adjustments_add_a_permanent_lot_or_remove_credits_and_keep_the_reason(user):
    admin = get_user_model().objects.create_superuser(email="root@example.com", password="x")
    grant(user, 10)
    up = services.credits_adjust(
        organization=personal(user),
        amount=5,
        reason="goodwill",
        actor=admin,
        idempotency_key=key(),
        now=NOW,
    )
    assert up.lot.kind == "promo" and up.lot.expires_at is None and up.actor == admin
    down = services.credits_adjust(
        organization=personal(user),
        amount=-12,
        reason="chargeback",
        actor=admin,
        idempotency_key=key(),
        now=NOW,
    )
    assert down.amount == -12 and down.description == "chargeback"
    assert balance(user).total == 3
    with pytest.raises(InsufficientCreditsError):
        services.credits_adjust(
            organization=personal(user), amount=-4, reason="x", idempotency_key=key(), now=NOW
        )
    with pytest.raises(InvalidCreditRequestError, match="reason"):
        services.credits_adjust(
            organization=personal(user), amount=1, reason="  ", idempotency_key=key(), now=NOW
        )
    assert balance(user).total == 3


def test_the_live_lots_are_listed_in_spending_order(user):
    payg = grant(user, 1, "payg").lot
    sub = grant(user, 1, "subscription", expires_in=MONTH).lot
    assert [lot.pk for lot in credit_lots_live(organization=personal(user), now=NOW)] == [
        sub.pk,
        payg.pk,
    ]
