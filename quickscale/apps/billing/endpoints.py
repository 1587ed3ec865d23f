"""This site's webhook endpoint at Stripe: the events billing needs, and dj-stripe's record of it
(its secret verifies every delivery's signature)."""

from __future__ import annotations

import uuid

import stripe
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from quickscale.apps.billing import stripe_api

#: What billing listens to. dj-stripe stores and syncs every event it is sent; these are the
#: ones that move credits or change what the billing page shows.
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.updated",
    "invoice.finalized",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.succeeded",
    "charge.refunded",
    "payment_intent.succeeded",
    "product.created",
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
    "price.deleted",
)


def webhook_url(base_url: str, endpoint_uuid: uuid.UUID | str) -> str:
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint_uuid})
    return base_url.rstrip("/") + path


def webhook_endpoint_ensure(base_url: str) -> tuple[WebhookEndpoint, bool]:
    """The endpoint for `base_url` (e.g. https://example.com), registered at Stripe when it is
    not yet; (endpoint, created)."""
    prefix = base_url.rstrip("/") + "/"
    for endpoint in WebhookEndpoint.objects.all():
        if endpoint.url.startswith(prefix) and endpoint.secret:
            return endpoint, False
    endpoint_uuid = uuid.uuid4()
    data = stripe.WebhookEndpoint.create(
        url=webhook_url(base_url, endpoint_uuid),
        enabled_events=list(WEBHOOK_EVENTS),  # type: ignore[arg-type]
        api_version=stripe_api.api_version(),  # type: ignore[arg-type]
        metadata={"djstripe_uuid": str(endpoint_uuid)},
        description="QuickScale billing",
        **stripe_api.request_options(),
    )
    endpoint = WebhookEndpoint.sync_from_stripe_data(data, api_key=stripe_api.api_key())
    secret = data.to_dict().get("secret")
    if not endpoint.secret and secret:
        endpoint.secret = secret
        endpoint.save(update_fields=["secret"])
    return endpoint, True
