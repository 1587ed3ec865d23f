"""dj-stripe's own code against the fake: syncing every kind of object, and webhooks end to end."""

import json
import time
import uuid

import pytest
import stripe
from djstripe import models as djstripe_models

from quickscale.testing.fakestripe import FAKE_SECRET_KEY
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(django_user_model):
    user = django_user_model.objects.create_user(email="owner@example.com", password="pw-unusual-1")
    return personal(user)


@pytest.fixture
def webhook_endpoint(fake_stripe):
    """A dj-stripe WebhookEndpoint registered in the fake, as the demo setup registers one."""
    endpoint_uuid = uuid.uuid4()
    data = stripe.WebhookEndpoint.create(
        url=f"http://testserver/stripe/webhook/{endpoint_uuid}/",
        enabled_events=["*"],
        api_version=fake_stripe.api_version,
        metadata={"djstripe_uuid": str(endpoint_uuid)},
    )
    endpoint = djstripe_models.WebhookEndpoint.sync_from_stripe_data(data, api_key=FAKE_SECRET_KEY)
    endpoint.secret = data.secret
    endpoint.save()
    return endpoint


def _plan(fake, amount=900, name="Pro", interval="month"):
    product = fake.create_product(
        name=name,
        metadata={"credits": "100", "kind": "plan"},
        prices=[{"unit_amount": amount, "currency": "usd", "recurring": {"interval": interval}}],
    )
    return product, product["default_price"]


def _pack(fake):
    product = fake.create_product(
        name="100 credits",
        metadata={"credits": "100", "kind": "pack"},
        prices=[{"unit_amount": 500, "currency": "usd", "recurring": None}],
    )
    return product, product["default_price"]


def _customer(organization):
    return stripe.Customer.create(
        email=organization.email, metadata={"djstripe_subscriber": str(organization.pk)}
    )


def _subscribe(fake, organization, price_id):
    customer = _customer(organization)
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price_id, "quantity": 1}],
        success_url="http://testserver/billing/success?session={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/pricing/",
        subscription_data={"metadata": {"organization": str(organization.pk)}},
    )
    fake.pay_checkout_session(session.id)
    return stripe.checkout.Session.retrieve(session.id)


def _assert_all_processed(fake, webhook_endpoint, since=0):
    triggers = list(djstripe_models.WebhookEventTrigger.objects.order_by("id"))[since:]
    delivered = [e for e in fake.events if e["id"] in {t.json_body["id"] for t in triggers}]
    assert triggers
    assert len(delivered) == len(triggers)
    for trigger in triggers:
        assert (trigger.valid, trigger.processed, trigger.exception) == (True, True, ""), (
            trigger.json_body["type"],
            trigger.traceback,
        )
    assert all(status == 200 for _, _, status in fake.deliveries)


def test_sync_from_stripe_data_for_every_object_kind(fake_stripe, organization):
    _, pack_price = _pack(fake_stripe)
    _, plan_price = _plan(fake_stripe)
    session = _subscribe(fake_stripe, organization, plan_price)
    subscription = stripe.Subscription.retrieve(session.subscription)
    invoice = stripe.Invoice.retrieve(session.invoice)
    payment = stripe.InvoicePayment.list(invoice=invoice.id).data[0]
    payment_intent = stripe.PaymentIntent.retrieve(payment.payment.payment_intent)
    charge = stripe.Charge.retrieve(payment_intent.latest_charge, expand=["balance_transaction"])
    refund = stripe.Refund.create(payment_intent=payment_intent.id, amount=100)
    charge = stripe.Charge.retrieve(charge.id)
    pack_session = stripe.checkout.Session.create(
        mode="payment",
        customer=session.customer,
        line_items=[{"price": pack_price, "quantity": 2}],
        success_url="http://testserver/ok",
        payment_intent_data={"metadata": {"credits": "200"}},
    )
    fake_stripe.pay_checkout_session(pack_session.id)
    endpoint = stripe.WebhookEndpoint.create(url="http://testserver/hook/", enabled_events=["*"])
    objects = [
        (djstripe_models.Account, stripe.Account.retrieve()),
        (
            djstripe_models.Product,
            stripe.Product.retrieve(stripe.Price.retrieve(plan_price).product),
        ),
        (djstripe_models.Price, stripe.Price.retrieve(plan_price, expand=["product"])),
        (djstripe_models.Customer, stripe.Customer.retrieve(session.customer)),
        (djstripe_models.Session, stripe.checkout.Session.retrieve(pack_session.id)),
        (djstripe_models.Subscription, subscription),
        (djstripe_models.Invoice, invoice),
        (djstripe_models.PaymentIntent, payment_intent),
        (djstripe_models.Charge, charge),
        (djstripe_models.Refund, refund),
        (
            djstripe_models.PaymentMethod,
            stripe.PaymentMethod.retrieve(payment_intent.payment_method),
        ),
        (
            djstripe_models.BalanceTransaction,
            stripe.BalanceTransaction.retrieve(charge.balance_transaction),
        ),
        (djstripe_models.Event, stripe.Event.retrieve(fake_stripe.events[-1]["id"])),
        (djstripe_models.WebhookEndpoint, endpoint),
    ]
    for model, data in objects:
        instance = model.sync_from_stripe_data(data, api_key=FAKE_SECRET_KEY)
        assert instance.id == data.id, model
    customer = djstripe_models.Customer.objects.get(id=session.customer)
    assert customer.subscriber == organization
    line_ids = [line.id for line in invoice.lines.data]
    assert djstripe_models.LineItem.objects.filter(id__in=line_ids).count() == 1
    assert (
        djstripe_models.SubscriptionItem.objects.get(subscription__id=subscription.id).price.id
        == plan_price
    )
    assert djstripe_models.Refund.objects.get(id=refund.id).charge.id == charge.id
    assert djstripe_models.Session.objects.get(id=pack_session.id).payment_intent is not None


def test_webhook_round_trip_every_event_is_valid_and_processed(
    fake_stripe, webhook_endpoint, organization
):
    _, price = _plan(fake_stripe)
    session = _subscribe(fake_stripe, organization, price)
    _assert_all_processed(fake_stripe, webhook_endpoint)
    types = [e["type"] for e in fake_stripe.events]
    assert {"checkout.session.completed", "customer.subscription.created", "invoice.paid"} <= set(
        types
    )
    subscription = djstripe_models.Subscription.objects.get(id=session.subscription)
    assert subscription.status == "active"
    assert subscription.customer.subscriber == organization
    assert djstripe_models.Invoice.objects.get(id=session.invoice).status == "paid"
    assert djstripe_models.Session.objects.get(id=session.id).status == "complete"


def test_webhooks_for_renewal_upgrade_downgrade_cancel_and_refund_are_processed(
    fake_stripe, webhook_endpoint, organization
):
    _, basic = _plan(fake_stripe, amount=900, name="Basic")
    _, pro = _plan(fake_stripe, amount=2900, name="Pro")
    session = _subscribe(fake_stripe, organization, basic)
    fake_stripe.renew_subscription(session.subscription)
    fake_stripe.change_subscription_price(session.subscription, pro)
    fake_stripe.change_subscription_price(session.subscription, basic)
    fake_stripe.renew_subscription(session.subscription)
    invoice = stripe.Invoice.list(subscription=session.subscription, limit=1).data[0]
    payment = stripe.InvoicePayment.list(invoice=invoice.id).data[0]
    fake_stripe.refund(payment.payment.payment_intent, amount=300)
    fake_stripe.cancel_subscription(session.subscription)
    fake_stripe.renew_subscription(session.subscription)
    _assert_all_processed(fake_stripe, webhook_endpoint)
    assert djstripe_models.Subscription.objects.get(id=session.subscription).status == "canceled"


def test_webhook_with_a_bad_signature_is_refused(fake_stripe, webhook_endpoint, client):
    event = fake_stripe.events[-1] if fake_stripe.events else None
    _plan(fake_stripe)
    event = fake_stripe.events[-1]
    body = json.dumps(event).encode()
    response = client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": fake_stripe.sign(body, "whsec_not_the_secret")},
    )
    assert response.status_code == 400
    trigger = djstripe_models.WebhookEventTrigger.objects.latest("id")
    assert not trigger.valid


def test_webhook_with_a_stale_timestamp_is_refused(fake_stripe, webhook_endpoint, client):
    _plan(fake_stripe)
    event = fake_stripe.events[-1]
    body = json.dumps(event).encode()
    stale = int(time.time()) - 3600
    response = client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": fake_stripe.sign(body, webhook_endpoint.secret, stale)},
    )
    assert response.status_code == 400
