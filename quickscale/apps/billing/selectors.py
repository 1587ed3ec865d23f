"""What the pricing and billing pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.utils import timezone
from djstripe.models import Invoice, Subscription

from quickscale.apps.billing import stripe_api
from quickscale.apps.billing.models import Interval, Offer, OfferKind, Purchase, format_amount
from quickscale.apps.billing.services import live_subscription
from quickscale.apps.orgs.models import Organization


@dataclass(frozen=True)
class Pricing:
    packs: list[Offer]
    monthly: list[Offer]
    yearly: list[Offer]


def pricing_get() -> Pricing:
    offers = list(Offer.objects.filter(active=True))
    plans = [offer for offer in offers if offer.kind == OfferKind.PLAN]
    return Pricing(
        packs=[offer for offer in offers if offer.kind == OfferKind.PACK],
        monthly=[offer for offer in plans if offer.interval == Interval.MONTH],
        yearly=[offer for offer in plans if offer.interval == Interval.YEAR],
    )


@dataclass(frozen=True)
class Plan:
    subscription: Subscription
    offer: Offer | None
    status: str
    renews_at: datetime | None
    cancel_at_period_end: bool


def _subscription_period_end(subscription: Subscription) -> datetime | None:
    data: dict[str, Any] = subscription.stripe_data or {}
    ends = [item.get("current_period_end") for item in (data.get("items") or {}).get("data", [])]
    ends = [end for end in ends if end]
    if ends:
        return datetime.fromtimestamp(max(ends), tz=timezone.get_current_timezone())
    return getattr(subscription, "current_period_end", None)


def _subscription_price(subscription: Subscription) -> str:
    data: dict[str, Any] = subscription.stripe_data or {}
    for item in (data.get("items") or {}).get("data", []):
        price = item.get("price")
        if price:
            return price if isinstance(price, str) else str(price.get("id"))
    return ""


def plan_get(organization: Organization) -> Plan | None:
    subscription = live_subscription(organization)
    if subscription is None:
        return None
    return Plan(
        subscription=subscription,
        offer=Offer.objects.filter(price_id=_subscription_price(subscription)).first(),
        status=str(subscription.status),
        renews_at=_subscription_period_end(subscription),
        cancel_at_period_end=bool(subscription.cancel_at_period_end),
    )


@dataclass(frozen=True)
class InvoiceRow:
    id: str
    number: str
    created: datetime | None
    total_label: str
    status: str
    hosted_invoice_url: str


def invoices_list(organization: Organization, *, limit: int = 24) -> list[InvoiceRow]:
    rows = []
    for invoice in Invoice.objects.filter(customer__subscriber=organization).order_by("-created")[
        :limit
    ]:
        data: dict[str, Any] = invoice.stripe_data or {}
        rows.append(
            InvoiceRow(
                id=invoice.id,
                number=str(data.get("number") or ""),
                created=invoice.created,
                total_label=format_amount(
                    int(data.get("total") or 0), str(data.get("currency") or "usd")
                ),
                status=str(data.get("status") or ""),
                hosted_invoice_url=str(data.get("hosted_invoice_url") or ""),
            )
        )
    return rows


def purchases_list(organization: Organization, *, limit: int = 24) -> list[Purchase]:
    return list(Purchase.objects.filter(organization=organization).select_related("offer")[:limit])


def purchase_for_checkout(organization: Organization, session_id: str) -> Purchase | None:
    """What a checkout session bought, once its webhook has arrived: the pack, or a plan's
    first invoice."""
    found = Purchase.objects.filter(organization=organization, stripe_id=session_id).first()
    if found is not None or not session_id.startswith("cs_"):
        return found
    try:
        session = stripe.checkout.Session.retrieve(
            session_id, **stripe_api.request_options()
        ).to_dict()
    except (stripe.StripeError, stripe_api.BillingNotConfiguredError):
        return None
    invoice = session.get("invoice")
    invoice_id = invoice if isinstance(invoice, str) else (invoice or {}).get("id")
    if not invoice_id:
        return None
    return Purchase.objects.filter(organization=organization, stripe_id=invoice_id).first()
