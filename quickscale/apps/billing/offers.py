"""Stripe products and prices → offers: the one mapping, used by the sync and its check alike.

A product sells credits when its metadata says how many and how:

    credits = 1000           whole credits granted per purchase, or per billing period
    kind    = pack | plan    pack: one-time prices (pay as you go); plan: monthly or yearly prices
    position = 10            optional: order on the pricing page

Each active price of such a product is one offer. A product whose metadata is missing or wrong
is reported with the reason, never skipped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from djstripe.models import Price, Product

from quickscale.apps.billing import stripe_api
from quickscale.apps.billing.models import Interval, Offer, OfferKind
from quickscale.apps.credits.models import MAX_CREDITS

#: The fields of an offer that come from Stripe, compared by `--check`.
SYNCED_FIELDS = (
    "product_id",
    "name",
    "description",
    "kind",
    "credits",
    "unit_amount",
    "currency",
    "interval",
    "interval_count",
    "position",
    "active",
)


@dataclass(frozen=True)
class Problem:
    product_id: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.product_id} ({self.name!r}): {self.reason}"


@dataclass
class OfferMap:
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by price id
    problems: list[Problem] = field(default_factory=list)
    products: list[Any] = field(default_factory=list)
    prices: list[Any] = field(default_factory=list)


def _whole(value: object, what: str, *, low: int, high: int) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"metadata {what}={value!r} is not a whole number")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"metadata {what}={number} is outside {low:,} to {high:,}")
    return number


def _terms(product: Mapping[str, Any]) -> tuple[str, int, int]:
    """(kind, credits, position) from a product's metadata; ValueError names what is wrong."""
    metadata = product.get("metadata") or {}
    if "credits" not in metadata and "kind" not in metadata:
        raise ValueError("no `credits` and `kind` in its metadata, so it grants nothing")
    if "credits" not in metadata:
        raise ValueError("no `credits` in its metadata")
    credits = _whole(metadata["credits"], "credits", low=1, high=MAX_CREDITS)
    kind = str(metadata.get("kind", "")).strip().lower()
    if kind not in OfferKind.values:
        raise ValueError(f"metadata kind={metadata.get('kind')!r}; use `pack` or `plan`")
    position = 0
    if str(metadata.get("position", "")).strip():
        position = _whole(metadata["position"], "position", low=0, high=1_000_000)
    return kind, credits, position


def _offer(
    product: Mapping[str, Any], price: Mapping[str, Any], kind: str, credits: int, position: int
) -> dict[str, Any]:
    recurring = price.get("recurring") or None
    if kind == OfferKind.PACK and recurring:
        raise ValueError(f"price {price['id']} is recurring, but a pack is paid once")
    if kind == OfferKind.PLAN and not recurring:
        raise ValueError(
            f"price {price['id']} is paid once, but a plan needs a monthly or yearly price"
        )
    if price.get("billing_scheme", "per_unit") != "per_unit" or price.get("unit_amount") is None:
        raise ValueError(f"price {price['id']} is not a fixed per-unit price")
    interval = ""
    interval_count = 1
    if recurring:
        interval = recurring.get("interval", "")
        if interval not in Interval.values:
            raise ValueError(f"price {price['id']} renews every {interval!r}; use month or year")
        if recurring.get("usage_type", "licensed") != "licensed":
            raise ValueError(f"price {price['id']} is metered; plans need a licensed price")
        interval_count = int(recurring.get("interval_count") or 1)
    return {
        "product_id": product["id"],
        "name": product.get("name") or product["id"],
        "description": product.get("description") or "",
        "kind": kind,
        "credits": credits,
        "unit_amount": int(price["unit_amount"]),
        "currency": str(price["currency"]).lower(),
        "interval": interval,
        "interval_count": interval_count,
        "position": position,
        "active": bool(product.get("active")) and bool(price.get("active")),
    }


def map_products(
    products: Iterable[Mapping[str, Any]], prices: Iterable[Mapping[str, Any]]
) -> OfferMap:
    """Every price of every product, mapped to an offer or to a problem."""
    result = OfferMap()
    by_product: dict[str, list[Mapping[str, Any]]] = {}
    for price in prices:
        product_id = (
            price["product"] if isinstance(price["product"], str) else price["product"]["id"]
        )
        by_product.setdefault(product_id, []).append(price)
    for product in products:
        name = product.get("name") or ""
        try:
            kind, credits, position = _terms(product)
        except ValueError as error:
            if product.get("active"):
                result.problems.append(Problem(product["id"], name, str(error)))
            continue
        product_prices = by_product.get(product["id"], [])
        if product.get("active") and not any(price.get("active") for price in product_prices):
            result.problems.append(Problem(product["id"], name, "no active price"))
        for price in product_prices:
            try:
                result.offers[price["id"]] = _offer(product, price, kind, credits, position)
            except ValueError as error:
                if product.get("active") and price.get("active"):
                    result.problems.append(Problem(product["id"], name, str(error)))
    return result


def fetch() -> OfferMap:
    """Every product and price in Stripe, every page of them, through dj-stripe."""
    options = {"api_key": stripe_api.api_key()}
    products = list(Product.api_list(**options))
    prices = list(Price.api_list(**options))
    mapped = map_products(products, prices)
    mapped.products, mapped.prices = products, prices
    return mapped


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def differences(mapped: OfferMap) -> list[str]:
    """What the local offers would need to change to match Stripe, one line per difference."""
    lines: list[str] = []
    local = {offer.price_id: offer for offer in Offer.objects.all()}
    for price_id, wanted in sorted(mapped.offers.items()):
        offer = local.get(price_id)
        if offer is None:
            if wanted["active"]:
                lines.append(f"{price_id} ({wanted['name']}): in Stripe, not synced here")
            continue
        for name in SYNCED_FIELDS:
            here, there = getattr(offer, name), wanted[name]
            if here != there:
                lines.append(
                    f"{price_id} ({offer.name}): {name} is {here!r} here, {there!r} in Stripe"
                )
    for price_id, offer in sorted(local.items()):
        if price_id not in mapped.offers and offer.active:
            lines.append(
                f"{price_id} ({offer.name}): offered here, but gone from Stripe "
                "or without valid metadata"
            )
    return lines


def offers_sync(*, check: bool = False) -> SyncReport:
    """Copy Stripe's products and prices (dj-stripe's models) and the offers they make.

    With `check`, nothing is written: the report lists the differences.
    """
    mapped = fetch()
    report = SyncReport(problems=mapped.problems, differences=differences(mapped))
    if check:
        return report
    options = {"api_key": stripe_api.api_key()}
    now = timezone.now()
    with transaction.atomic():
        for product in mapped.products:
            Product.sync_from_stripe_data(product, **options)
        for price in mapped.prices:
            Price.sync_from_stripe_data(price, **options)
        local = {offer.price_id: offer for offer in Offer.objects.select_for_update()}
        for price_id, wanted in mapped.offers.items():
            offer = local.get(price_id)
            if offer is None:
                Offer.objects.create(price_id=price_id, synced_at=now, **wanted)
                report.created.append(price_id)
            elif any(getattr(offer, name) != wanted[name] for name in SYNCED_FIELDS):
                Offer.objects.filter(pk=offer.pk).update(synced_at=now, **wanted)
                report.updated.append(price_id)
        for price_id, offer in local.items():
            if price_id not in mapped.offers and offer.active:
                Offer.objects.filter(pk=offer.pk).update(active=False, synced_at=now)
                report.deactivated.append(price_id)
    return report


def offer_for_price(price_id: str) -> Offer:
    """The offer of a price, synced from Stripe on the spot if it is newer than the last sync.

    Raises LookupError naming the reason when the price's product grants no credits: a paid
    invoice must never be skipped in silence, so its webhook fails until the metadata is fixed.
    """
    offer = Offer.objects.filter(price_id=price_id).first()
    if offer is not None:
        return offer
    options = {"api_key": stripe_api.api_key()}
    price = Price.stripe_class.retrieve(
        price_id, expand=["product"], **stripe_api.request_options()
    )
    product = price["product"]
    if isinstance(product, str):
        product = Product.stripe_class.retrieve(product, **stripe_api.request_options())
    product_data = dict(product)
    price_data = {**dict(price), "product": product_data["id"]}
    mapped = map_products([product_data], [price_data])
    if price_id not in mapped.offers:
        reasons = "; ".join(str(problem) for problem in mapped.problems) or "no valid metadata"
        raise LookupError(f"Price {price_id} sells no credits: {reasons}.")
    Product.sync_from_stripe_data(product, **options)
    offer, _ = Offer.objects.get_or_create(price_id=price_id, defaults=mapped.offers[price_id])
    return offer
