"""Stripe events → the credit ledger.

Each handler reads the object afresh from Stripe (an event's copy can be older than an event
delivered before it), then writes through the ledger's idempotent services with a key made of
Stripe's object id. So a duplicated, replayed, concurrent or out-of-order delivery grants once.
A handler that raises rolls the delivery back (dj-stripe processes it in a transaction) and the
webhook answers 500, so Stripe tries again later.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.db import transaction
from djstripe.models import Customer
from djstripe.settings import djstripe_settings

from quickscale.apps.billing import stripe_api
from quickscale.apps.billing.models import OfferKind, Purchase, PurchaseKind
from quickscale.apps.billing.offers import offer_for_price
from quickscale.apps.credits.models import LotKind
from quickscale.apps.credits.services import credits_account_lock, credits_clawback, credits_grant
from quickscale.apps.orgs.models import Organization

logger = logging.getLogger(__name__)


class UnknownCustomerError(LookupError):
    """A payment of a Stripe customer that belongs to no organization here."""


def _id(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(value["id"])


def _when(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def _plain(stripe_object: Any) -> dict[str, Any]:
    """An SDK object as plain dicts and lists, read with the mapping methods."""
    data: dict[str, Any] = stripe_object.to_dict()
    return data


def organization_for_customer(customer_id: str) -> Organization:
    local = Customer.objects.filter(id=customer_id).select_related("subscriber").first()
    if local is not None and local.subscriber is not None:
        organization: Organization = local.subscriber
        return organization
    remote = _plain(stripe.Customer.retrieve(customer_id, **stripe_api.request_options()))
    key = djstripe_settings.SUBSCRIBER_CUSTOMER_KEY
    organization_id = str((remote.get("metadata") or {}).get(key, ""))
    found = (
        Organization.objects.filter(pk=int(organization_id)).first()
        if organization_id.isdigit()
        else None
    )
    if found is None:
        raise UnknownCustomerError(
            f"Stripe customer {customer_id} belongs to no organization here (its metadata has "
            f"no {key!r} naming one)."
        )
    return found


# Checkout: credit packs --------------------------------------------------------------------


def checkout_session_paid(session_id: str) -> Purchase | None:
    """A pack bought through Checkout: its credits, once, permanent."""
    options = stripe_api.request_options()
    session = _plain(stripe.checkout.Session.retrieve(session_id, **options))
    if session["mode"] != "payment" or session["payment_status"] != "paid":
        return None  # subscriptions grant from their invoices; unpaid sessions grant nothing
    organization = organization_for_customer(_id(session["customer"]))
    items = [
        _plain(item)
        for item in stripe.checkout.Session.list_line_items(
            session_id, **options
        ).auto_paging_iter()
    ]
    credits = 0
    offer = None
    for item in items:
        offer = offer_for_price(_id(item["price"]))
        if offer.kind != OfferKind.PACK:
            raise LookupError(f"Checkout session {session_id} sold {offer}, which is not a pack.")
        credits += offer.credits * int(item.get("quantity") or 1)
    if credits == 0:
        raise LookupError(f"Checkout session {session_id} has no line item that sells credits.")
    payment_intent = _id(session.get("payment_intent"))
    purchase, created = _purchase(
        organization=organization,
        kind=PurchaseKind.PACK,
        stripe_id=session_id,
        payment_intent_id=payment_intent,
        offer=offer if len(items) == 1 else None,
        credits=credits,
        amount_paid=int(session.get("amount_total") or 0),
        currency=str(session.get("currency") or ""),
        lot_kind=LotKind.PAYG,
        expires_at=None,
        description=f"Bought {offer.name if offer and len(items) == 1 else 'credits'}",
    )
    if created:
        _reconcile_payment(purchase)
    return purchase


# Subscriptions: one grant per paid invoice -------------------------------------------------


def _invoice_lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    lines = invoice["lines"]
    if lines.get("has_more"):
        listed = stripe.Invoice.list_lines(invoice["id"], **stripe_api.request_options())
        return [_plain(line) for line in listed.auto_paging_iter()]
    return list(lines["data"])


def _line_price(line: Any) -> str:
    pricing = line.get("pricing") or {}
    details = pricing.get("price_details") or {}
    return _id(details.get("price"))


def _line_is_proration(line: Any) -> bool:
    parent = line.get("parent") or {}
    for detail in ("subscription_item_details", "invoice_item_details"):
        if (parent.get(detail) or {}).get("proration"):
            return True
    return False


def _invoice_subscription(invoice: Any) -> str:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription"))


def _invoice_payment_intent(invoice_id: str) -> str:
    """The payment intent that paid an invoice: under the pinned API version, the invoice's
    payments are listed on their own."""
    payments = stripe.InvoicePayment.list(invoice=invoice_id, **stripe_api.request_options())
    for listed in payments.auto_paging_iter():
        payment = _plain(listed)
        if payment.get("status") == "paid":
            found = _id((payment.get("payment") or {}).get("payment_intent"))
            if found:
                return found
    return ""


def invoice_paid(invoice_id: str) -> Purchase | None:
    """A paid subscription invoice: the period's credits, expiring when the period ends.

    A plan's first invoice and every renewal grant the plan's credits; an upgrade's proration
    invoice grants the difference between the two plans for the rest of the period. A downgrade
    makes no invoice until renewal, so it takes effect then.
    """
    invoice = _plain(stripe.Invoice.retrieve(invoice_id, **stripe_api.request_options()))
    if invoice["status"] != "paid" or not _invoice_subscription(invoice):
        return None
    organization = organization_for_customer(_id(invoice["customer"]))
    base = difference = 0
    period_end = 0
    offer = None
    for line in _invoice_lines(invoice):
        price = _line_price(line)
        if not price:
            continue
        offer = offer_for_price(price)
        credits = offer.credits * int(line.get("quantity") or 1)
        period_end = max(period_end, int((line.get("period") or {}).get("end") or 0))
        if _line_is_proration(line):
            difference += credits if int(line.get("amount") or 0) > 0 else -credits
        else:
            base += credits
    credits = base + max(difference, 0)
    if not period_end:
        raise LookupError(f"Invoice {invoice_id} has no line with a billing period.")
    purchase, created = _purchase(
        organization=organization,
        kind=PurchaseKind.SUBSCRIPTION if base else PurchaseKind.UPGRADE,
        stripe_id=invoice_id,
        payment_intent_id=_invoice_payment_intent(invoice_id) if invoice["amount_paid"] else "",
        offer=offer,
        credits=credits,
        amount_paid=int(invoice["amount_paid"] or 0),
        currency=str(invoice["currency"]),
        lot_kind=LotKind.SUBSCRIPTION,
        expires_at=_when(period_end),
        description=(f"{offer.name}: credits until {_when(period_end):%Y-%m-%d}" if offer else ""),
    )
    if created:
        _reconcile_payment(purchase)
    return purchase


def _purchase(
    *,
    organization: Organization,
    kind: str,
    stripe_id: str,
    payment_intent_id: str,
    offer: Any,
    credits: int,
    amount_paid: int,
    currency: str,
    lot_kind: str,
    expires_at: datetime | None,
    description: str,
) -> tuple[Purchase, bool]:
    """The purchase of `stripe_id` and whether this call made it (and granted its credits)."""
    with transaction.atomic():
        credits_account_lock(organization.pk)
        existing = Purchase.objects.filter(stripe_id=stripe_id).first()
        if existing is not None:
            return existing, False
        lot = None
        if credits > 0 and (expires_at is None or expires_at > datetime.now(tz=UTC)):
            entry = credits_grant(
                organization=organization,
                amount=credits,
                kind=lot_kind,
                idempotency_key=f"stripe:{stripe_id}",
                expires_at=expires_at,
                source_type="stripe",
                source_id=stripe_id,
                description=description,
                metadata={"stripe_id": stripe_id, "payment_intent": payment_intent_id},
            )
            lot = entry.lot
        purchase = Purchase.objects.create(
            organization=organization,
            kind=kind,
            stripe_id=stripe_id,
            payment_intent_id=payment_intent_id,
            offer=offer,
            credits=credits,
            amount_paid=amount_paid,
            currency=currency,
            lot=lot,
            period_end=expires_at,
        )
        return purchase, True


# Refunds ------------------------------------------------------------------------------------


def charge_refunded(charge_id: str) -> Purchase | None:
    """Take back the refunded share of what a charge bought. A refund that arrives before the
    purchase it refunds is applied when the purchase is granted."""
    charge = _plain(stripe.Charge.retrieve(charge_id, **stripe_api.request_options()))
    payment_intent = _id(charge.get("payment_intent"))
    purchase = (
        Purchase.objects.filter(payment_intent_id=payment_intent).first()
        if payment_intent
        else None
    )
    if purchase is None:
        return None
    return refund_apply(
        purchase, refunded=int(charge["amount_refunded"] or 0), paid=int(charge["amount"] or 0)
    )


def _reconcile_payment(purchase: Purchase) -> None:
    """Apply a refund Stripe made before the purchase's own event arrived."""
    if not purchase.payment_intent_id or purchase.lot_id is None:
        return
    charges = stripe.Charge.list(
        payment_intent=purchase.payment_intent_id, **stripe_api.request_options()
    )
    for listed in charges.auto_paging_iter():
        charge = _plain(listed)
        if int(charge.get("amount_refunded") or 0):
            refund_apply(
                purchase, refunded=int(charge["amount_refunded"]), paid=int(charge["amount"])
            )


def refund_apply(purchase: Purchase, *, refunded: int, paid: int) -> Purchase:
    """Claw back `refunded`/`paid` of the purchase's credits, in all (never twice)."""
    with transaction.atomic():
        credits_account_lock(purchase.organization_id)
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        refunded = min(max(refunded, 0), paid)
        if paid <= 0 or refunded <= purchase.amount_refunded:
            return purchase
        target = purchase.credits * refunded // paid
        due = target - purchase.credits_clawed_back
        purchase.amount_refunded = refunded
        if due > 0 and purchase.lot is not None:
            entry = credits_clawback(
                lot=purchase.lot,
                amount=due,
                idempotency_key=f"stripe:refund:{purchase.stripe_id}:{refunded}",
                description=f"Refund of {purchase.get_kind_display().lower()} {purchase.stripe_id}",
                metadata={"stripe_id": purchase.stripe_id, "refunded": refunded, "paid": paid},
            )
            purchase.credits_clawed_back = target
            purchase.debt += int(entry.metadata.get("debt", 0))
        purchase.save(update_fields=["amount_refunded", "credits_clawed_back", "debt"])
        return purchase
