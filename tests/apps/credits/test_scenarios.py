"""Credits across subscription periods, as a customer lives them."""

import pytest

from quickscale.apps.credits import services
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from tests.apps.credits.helpers import DAY, MONTH, NOW, consume, grant
from tests.orgs import personal

pytestmark = pytest.mark.django_db


def period_start(n):
    return NOW + n * MONTH


def renew(user, n, amount=100):
    """The subscription renews: a new period's credits, expiring at the period's end."""
    return grant(
        user,
        amount,
        "subscription",
        now=period_start(n),
        expires_in=MONTH,
        idempotency_key=f"invoice-{n}",
        source_type="stripe_invoice",
        source_id=f"in_{n}",
    )


def test_leftovers_of_an_expired_period_are_gone_and_the_new_period_is_whole(user):
    renew(user, 0)
    consume(user, 30, now=period_start(0) + DAY)
    renew(user, 1)
    balance = credit_balance_get(organization=personal(user), now=period_start(1) + DAY)
    assert balance.subscription == 100
    services.credits_expire(now=period_start(1) + DAY)
    assert (
        ledger_sum(organization=personal(user))
        == credit_book_balance(organization=personal(user))
        == 100
    )


def test_pay_as_you_go_credits_survive_every_renewal(user):
    grant(user, 50, "payg", now=period_start(0))
    for n in range(6):
        renew(user, n, amount=10)
        consume(user, 10, now=period_start(n) + DAY)
        services.credits_expire(now=period_start(n) + DAY)
    balance = credit_balance_get(organization=personal(user), now=period_start(5) + 2 * DAY)
    assert balance.payg == 50 and balance.subscription == 0


def test_spending_order_across_kinds_and_expiries(user):
    payg = grant(user, 10, "payg", now=period_start(0)).lot
    promo = grant(user, 10, "promo", now=period_start(0), expires_in=2 * MONTH).lot
    sub = renew(user, 0, amount=10).lot
    debit = consume(user, 25, now=period_start(0) + DAY)
    assert [(a.lot_id, a.amount) for a in debit.allocations.all()] == [
        (sub.pk, 10),
        (promo.pk, 10),
        (payg.pk, 5),
    ]


def test_unused_credits_run_out_at_the_period_end_even_without_the_expiry_job(user):
    renew(user, 0)
    just_after = period_start(1)
    assert credit_balance_get(organization=personal(user), now=just_after).total == 0
    assert credit_balance_get(organization=personal(user), now=just_after - DAY).total == 100


def test_a_renewal_delivered_twice_grants_once(user):
    renew(user, 3)
    renew(user, 3)
    assert credit_balance_get(organization=personal(user), now=period_start(3)).subscription == 100
