"""dj-stripe's webhook endpoint with our handlers: what it refuses (and writes nothing for),
what it acknowledges and ignores, and a failing handler that Stripe's retry then completes."""

import json
import time
import uuid

import pytest
import stripe
from django.test import Client
from djstripe.models import Event, WebhookEndpoint

from quickscale.apps.billing.models import Purchase
from quickscale.apps.credits.models import LedgerEntry
from tests.apps.billing.conftest import PACK_CREDITS, price_of
from tests.apps.billing.test_flows import balance, buy

pytestmark = pytest.mark.django_db


def post(url_path, body, signature):
    return Client(raise_request_exception=False).post(
        url_path,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )


@pytest.fixture
def paid_event(shop, membership):
    """A real checkout.session.completed event, not yet delivered."""
    shop.auto_deliver = False
    buy(shop, membership, price_of(shop, shop.products["pack"]))
    (event,) = [e for e in shop.pending if e["type"] == "checkout.session.completed"]
    return event


def endpoint_and_secret(shop):
    endpoint = WebhookEndpoint.objects.get()
    path = "/stripe/webhook/" + str(endpoint.djstripe_uuid) + "/"
    return path, endpoint.secret


def nothing_written():
    return (
        not Event.objects.exists()
        and not Purchase.objects.exists()
        and not LedgerEntry.objects.exists()
    )


def test_a_bad_signature_is_400_and_writes_nothing(shop, paid_event):
    path, _ = endpoint_and_secret(shop)
    body = json.dumps(paid_event).encode()
    assert post(path, body, shop.sign(body, "whsec_wrong")).status_code == 400
    assert post(path, body, "t=1,v1=00").status_code == 400
    assert Client().post(path, data=body, content_type="application/json").status_code == 400
    assert nothing_written()


def test_a_stale_timestamp_is_400_and_writes_nothing(shop, paid_event):
    path, secret = endpoint_and_secret(shop)
    body = json.dumps(paid_event).encode()
    stale = int(time.time()) - 3600
    assert post(path, body, shop.sign(body, secret, timestamp=stale)).status_code == 400
    assert nothing_written()


def test_an_unknown_endpoint_is_404_and_writes_nothing(shop, paid_event):
    _, secret = endpoint_and_secret(shop)
    body = json.dumps(paid_event).encode()
    assert (
        post(f"/stripe/webhook/{uuid.uuid4()}/", body, shop.sign(body, secret)).status_code == 404
    )
    assert nothing_written()


def test_a_tampered_body_is_refused(shop, paid_event):
    path, secret = endpoint_and_secret(shop)
    body = json.dumps(paid_event).encode()
    signature = shop.sign(body, secret)
    tampered = body.replace(b'"livemode": false', b'"livemode": true')
    assert tampered != body
    assert post(path, tampered, signature).status_code == 400
    assert nothing_written()


def test_an_unknown_event_type_is_acknowledged_and_ignored(shop, paid_event):
    path, secret = endpoint_and_secret(shop)
    unknown = {**paid_event, "id": "evt_unknown_type_1", "type": "quickscale.something_new"}
    body = json.dumps(unknown).encode()
    assert post(path, body, shop.sign(body, secret)).status_code == 200
    assert not Purchase.objects.exists() and not LedgerEntry.objects.exists()


def test_a_failing_handler_answers_500_writes_nothing_and_the_retry_succeeds(shop, membership):
    from quickscale.apps.billing.models import Offer

    # The pack's metadata is broken in Stripe after the sync, and the offer is not known here:
    # the handler cannot tell how many credits were paid for, so it fails rather than guess.
    product = shop.products["pack"]
    shop.auto_deliver = False
    buy(shop, membership, price_of(shop, product))
    Offer.objects.all().delete()
    stripe.Product.modify(product["id"], metadata={"credits": "lots"})
    (completed,) = [e for e in shop.pending if e["type"] == "checkout.session.completed"]
    assert shop.deliver(completed) == [500]
    assert balance(membership) == 0
    assert not Purchase.objects.exists() and not LedgerEntry.objects.exists()
    assert not Event.objects.filter(id=completed["id"]).exists()
    stripe.Product.modify(product["id"], metadata={"credits": str(PACK_CREDITS)})
    assert shop.deliver(completed) == [200]
    assert balance(membership) == PACK_CREDITS
    assert shop.deliver(completed) == [200]
    assert balance(membership) == PACK_CREDITS
