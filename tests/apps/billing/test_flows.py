"""What each payment does to the ledger, end to end through dj-stripe's webhook endpoint and
the fake Stripe: packs, plans, renewals, upgrades, downgrades, cancellation, refunds."""

from datetime import UTC, datetime, timedelta

import pytest
import stripe

from quickscale.apps.billing.models import Purchase, PurchaseKind
from quickscale.apps.billing.services import checkout_start
from quickscale.apps.credits.models import CreditLot
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_consume
from tests.apps.billing.conftest import BASIC_CREDITS, PACK_CREDITS, PRO_CREDITS, price_of

pytestmark = pytest.mark.django_db


def buy(shop, membership, price_id):
    from quickscale.apps.billing.models import Offer

    url = checkout_start(
        membership=membership,
        offer=Offer.objects.get(price_id=price_id),
        success_url="http://testserver/billing/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/billing/cancelled/",
    )
    session_id = url.rstrip("/").rsplit("/", 1)[-1]
    return shop.pay_checkout_session(session_id)


def balance(membership, at=None):
    return credit_balance_get(organization=membership.organization, now=at).total


def consistent(membership):
    organization = membership.organization
    return ledger_sum(organization=organization) == credit_book_balance(organization=organization)


def subscription_of(shop, subscription_id=None):
    """The live subscription as the Stripe API returns it."""
    if subscription_id:
        return stripe.Subscription.retrieve(subscription_id)
    (subscription,) = stripe.Subscription.list(status="active").data
    return subscription


def period_end(subscription):
    return datetime.fromtimestamp(subscription["items"]["data"][0]["current_period_end"], tz=UTC)


def test_a_paid_pack_grants_its_credits_once_and_permanently(shop, membership):
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    assert balance(membership) == PACK_CREDITS
    purchase = Purchase.objects.get(stripe_id=session["id"])
    assert purchase.kind == PurchaseKind.PACK and purchase.lot.expires_at is None
    assert purchase.payment_intent_id == session["payment_intent"]
    for event in shop.events:
        shop.deliver(event)
        shop.deliver(event)
    assert balance(membership) == PACK_CREDITS
    assert consistent(membership)


def test_subscribing_grants_the_period_and_they_expire_at_its_end(shop, membership):
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    subscription = subscription_of(shop)
    end = period_end(subscription)
    assert balance(membership) == BASIC_CREDITS
    (lot,) = CreditLot.objects.filter(organization=membership.organization)
    assert lot.kind == "subscription" and lot.expires_at == end
    assert balance(membership, at=end + timedelta(seconds=1)) == 0


def test_a_renewal_brings_a_whole_new_period_and_the_old_one_lapses(shop, membership):
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    subscription = subscription_of(shop)
    first_end = period_end(subscription)
    invoice = shop.renew_subscription(subscription["id"])
    assert invoice["billing_reason"] == "subscription_cycle"
    second_end = period_end(subscription_of(shop, subscription["id"]))
    assert second_end > first_end
    just_after = first_end + timedelta(seconds=1)
    assert balance(membership, at=just_after) == BASIC_CREDITS
    assert balance(membership, at=second_end + timedelta(seconds=1)) == 0
    assert Purchase.objects.filter(kind=PurchaseKind.SUBSCRIPTION).count() == 2


def test_an_upgrade_grants_the_difference_for_the_current_period(shop, membership):
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    subscription = subscription_of(shop)
    shop.change_subscription_price(
        subscription["id"], price_of(shop, shop.products["pro"], "month")
    )
    assert balance(membership) == PRO_CREDITS
    upgrade = Purchase.objects.get(kind=PurchaseKind.UPGRADE)
    assert upgrade.credits == PRO_CREDITS - BASIC_CREDITS
    assert upgrade.lot.expires_at == period_end(subscription)
    shop.renew_subscription(subscription["id"])
    assert balance(membership, at=period_end(subscription) + timedelta(seconds=1)) == PRO_CREDITS


def test_a_downgrade_takes_effect_at_renewal(shop, membership):
    buy(shop, membership, price_of(shop, shop.products["pro"], "month"))
    subscription = subscription_of(shop)
    shop.change_subscription_price(
        subscription["id"], price_of(shop, shop.products["basic"], "month")
    )
    assert balance(membership) == PRO_CREDITS
    end = period_end(subscription)
    shop.renew_subscription(subscription["id"])
    assert balance(membership, at=end + timedelta(seconds=1)) == BASIC_CREDITS


def test_cancelling_stops_renewals_and_keeps_the_period_until_it_ends(shop, membership):
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    subscription = subscription_of(shop)
    end = period_end(subscription)
    shop.cancel_subscription(subscription["id"], at_period_end=True)
    assert balance(membership) == BASIC_CREDITS
    assert shop.renew_subscription(subscription["id"]) is None
    assert Purchase.objects.count() == 1
    assert balance(membership, at=end - timedelta(seconds=1)) == BASIC_CREDITS
    assert balance(membership, at=end + timedelta(seconds=1)) == 0


def test_a_partial_refund_takes_back_its_share(shop, membership):
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    shop.refund(session["payment_intent"], amount=450)
    assert balance(membership) == PACK_CREDITS // 2
    shop.refund(session["payment_intent"], amount=225)
    assert balance(membership) == PACK_CREDITS // 4
    purchase = Purchase.objects.get()
    assert (purchase.amount_refunded, purchase.credits_clawed_back, purchase.debt) == (675, 750, 0)
    assert consistent(membership)


def test_a_refund_after_spending_records_a_debt_and_never_goes_below_zero(shop, membership):
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    credits_consume(organization=membership.organization, amount=700, idempotency_key="spent")
    shop.refund(session["payment_intent"])
    assert balance(membership) == 0
    purchase = Purchase.objects.get()
    assert (purchase.credits_clawed_back, purchase.debt) == (PACK_CREDITS, 700)
    assert consistent(membership)
    for event in shop.events:
        shop.deliver(event)
    assert Purchase.objects.get().debt == 700


def test_events_out_of_order_grant_exactly_once(shop, membership):
    shop.auto_deliver = False
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    shop.refund(session["payment_intent"], amount=450)
    pending = list(shop.pending)
    shop.pending.clear()
    for event in reversed(pending):
        shop.deliver(event)
    assert balance(membership) == PACK_CREDITS // 2
    for event in pending:
        shop.deliver(event)
    assert balance(membership) == PACK_CREDITS // 2
    assert consistent(membership)
