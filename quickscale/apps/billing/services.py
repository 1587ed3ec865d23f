"""Buying credits: the Stripe customer of an organization, Checkout, the customer portal, and
the free trial credits of a new organization.

Nothing here grants paid credits: only the webhook handlers (`handlers.py`) do, once Stripe
says a payment went through.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from djstripe.models import Customer, Subscription

from quickscale.apps.billing import stripe_api
from quickscale.apps.billing.models import Offer, OfferKind
from quickscale.apps.credits.models import LotKind
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.orgs.policy import Action, require
from quickscale.conf import app_settings

logger = logging.getLogger(__name__)

#: Subscription states in which an organization already has a plan (Stripe's own list).
LIVE_SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete")


class BillingError(Exception):
    """What a buyer asked for cannot be done; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadySubscribedError(BillingError):
    """Plan changes go through the customer portal, not a second subscription."""


def customer_for(organization: Organization) -> Customer:
    """The organization's one Stripe customer, made on first use.

    No transaction is held while Stripe is called: Stripe's own events about the new customer
    may reach the webhook meanwhile. Two first purchases at once still make one customer:
    dj-stripe sends Stripe the same idempotency key for both, and Stripe answers both with it.
    """
    customer, _ = Customer.get_or_create(
        subscriber=organization,
        livemode=stripe_api.livemode(),
        api_key=stripe_api.api_key(),
        metadata={"organization_slug": organization.slug},
    )
    return customer


def live_subscription(organization: Organization) -> Subscription | None:
    return (
        Subscription.objects.filter(
            customer__subscriber=organization,
            stripe_data__status__in=LIVE_SUBSCRIPTION_STATUSES,
        )
        .order_by("-created")
        .first()
    )


def checkout_start(
    *, membership: Membership, offer: Offer, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout session for `offer`; returns the address to send the buyer to."""
    require(membership, Action.MANAGE_BILLING)
    if not offer.active:
        raise BillingError(
            f"{offer.name} is no longer offered; choose another on the pricing page."
        )
    organization = membership.organization
    if offer.kind == OfferKind.PLAN and live_subscription(organization) is not None:
        raise AlreadySubscribedError(
            "This organization already has a plan: change or cancel it in the billing portal."
        )
    customer = customer_for(organization)
    metadata = {
        "organization": str(organization.pk),
        "offer": offer.price_id,
        "user": str(membership.user_id),
    }
    arguments: dict[str, Any] = {
        "customer": customer.id,
        "client_reference_id": str(organization.pk),
        "line_items": [{"price": offer.price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": metadata,
    }
    if offer.kind == OfferKind.PLAN:
        arguments["mode"] = "subscription"
        arguments["subscription_data"] = {"metadata": metadata}
    else:
        arguments["mode"] = "payment"
        arguments["payment_intent_data"] = {"metadata": metadata}
    try:
        session = stripe.checkout.Session.create(**arguments, **stripe_api.request_options())
    except stripe.StripeError as error:
        logger.warning("Stripe refused a checkout session: %s", error)
        raise BillingError(
            "Stripe could not start the payment just now; nothing was charged. Try again in a "
            "moment."
        ) from error
    return str(session["url"])


def portal_start(*, membership: Membership, return_url: str) -> str:
    """A Stripe customer portal session: payment methods, plan changes, cancellation."""
    require(membership, Action.MANAGE_BILLING)
    customer = customer_for(membership.organization)
    try:
        session = stripe.billing_portal.Session.create(
            customer=customer.id, return_url=return_url, **stripe_api.request_options()
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused a portal session: %s", error)
        raise BillingError(
            "Stripe's billing portal could not be opened just now. Try again in a moment."
        ) from error
    return str(session["url"])


def trial_credits_grant(organization: Organization) -> None:
    """QUICKSCALE_TRIAL_CREDITS free credits, once per organization (0: none)."""
    amount = int(app_settings.TRIAL_CREDITS or 0)
    if amount <= 0:
        return
    credits_grant(
        organization=organization,
        amount=amount,
        kind=LotKind.PROMO,
        idempotency_key=f"trial:{organization.pk}",
        source_type="trial",
        description="Free trial credits",
    )
