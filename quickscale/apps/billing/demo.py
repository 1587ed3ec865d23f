"""A catalogue for trying billing in test mode: two packs and two plans, monthly and yearly."""

from __future__ import annotations

import time
from typing import Any

import stripe

from quickscale.apps.billing import stripe_api

DEMO_CATALOGUE: tuple[dict[str, Any], ...] = (
    {
        "name": "Starter pack",
        "description": "1,000 credits that never expire.",
        "metadata": {"credits": "1000", "kind": "pack", "position": "1"},
        "prices": [{"unit_amount": 900, "recurring": None}],
    },
    {
        "name": "Big pack",
        "description": "10,000 credits that never expire.",
        "metadata": {"credits": "10000", "kind": "pack", "position": "2"},
        "prices": [{"unit_amount": 4900, "recurring": None}],
    },
    {
        "name": "Basic",
        "description": "5,000 fresh credits every period.",
        "metadata": {"credits": "5000", "kind": "plan", "position": "1"},
        "prices": [
            {"unit_amount": 1900, "recurring": {"interval": "month"}},
            {"unit_amount": 19000, "recurring": {"interval": "year"}},
        ],
    },
    {
        "name": "Pro",
        "description": "20,000 fresh credits every period.",
        "metadata": {"credits": "20000", "kind": "plan", "position": "2"},
        "prices": [
            {"unit_amount": 4900, "recurring": {"interval": "month"}},
            {"unit_amount": 49000, "recurring": {"interval": "year"}},
        ],
    },
)


class LiveModeError(Exception):
    pass


def test_mode() -> bool:
    return stripe_api.api_key().startswith(("sk_test_", "rk_test_"))


def wait_for_stripe(*, seconds: float = 15.0) -> None:
    """Wait until the Stripe API answers (the demo starts its fake just before)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            stripe.Account.retrieve(**stripe_api.request_options())
            return
        except stripe.APIConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def demo_catalogue_ensure() -> int:
    """Create the demo products in Stripe's test mode unless products that sell credits exist;
    returns how many were created."""
    if not test_mode():
        raise LiveModeError("The demo catalogue is only ever created with a test-mode key.")
    options = stripe_api.request_options()
    for product in stripe.Product.list(active=True, **options).auto_paging_iter():
        if (product.to_dict().get("metadata") or {}).get("credits"):
            return 0
    for item in DEMO_CATALOGUE:
        product = stripe.Product.create(
            name=item["name"],
            description=item["description"],
            metadata=item["metadata"],
            **options,
        )
        for price in item["prices"]:
            arguments: dict[str, Any] = {
                "product": product["id"],
                "unit_amount": price["unit_amount"],
                "currency": "usd",
            }
            if price["recurring"]:
                arguments["recurring"] = price["recurring"]
            stripe.Price.create(**arguments, **options)
    return len(DEMO_CATALOGUE)
