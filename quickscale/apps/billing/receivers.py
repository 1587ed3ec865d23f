"""Which Stripe events move credits, and the organization signal that gives trial credits.

dj-stripe verifies each event's signature, stores it once per event id and then sends these
signals inside its transaction; every other event type is stored and acknowledged.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from djstripe.event_handlers import djstripe_receiver

from quickscale.apps.billing import handlers
from quickscale.apps.billing.services import trial_credits_grant
from quickscale.apps.orgs.models import Organization


def _object_id(event: Any) -> str:
    return str(event.data["object"]["id"])


@djstripe_receiver(["checkout.session.completed", "checkout.session.async_payment_succeeded"])  # type: ignore[untyped-decorator]
def on_checkout_paid(sender: Any, event: Any, **kwargs: Any) -> None:
    handlers.checkout_session_paid(_object_id(event))


@djstripe_receiver("invoice.paid")  # type: ignore[untyped-decorator]
def on_invoice_paid(sender: Any, event: Any, **kwargs: Any) -> None:
    handlers.invoice_paid(_object_id(event))


@djstripe_receiver("charge.refunded")  # type: ignore[untyped-decorator]
def on_charge_refunded(sender: Any, event: Any, **kwargs: Any) -> None:
    handlers.charge_refunded(_object_id(event))


@receiver(post_save, sender=Organization, dispatch_uid="quickscale_billing_trial_credits")
def on_organization_created(
    sender: Any, instance: Organization, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        trial_credits_grant(instance)
