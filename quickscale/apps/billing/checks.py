from __future__ import annotations

from typing import Any

from django.core.checks import Warning, register

from quickscale.apps.billing import stripe_api


@register()
def billing_configured(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """One warning when Stripe has no key: billing is off, everything else works."""
    if stripe_api.configured():
        return []
    return [
        Warning(
            "Billing is off: STRIPE_SECRET_KEY is not set, so nobody can buy credits.",
            hint="Set STRIPE_SECRET_KEY and STRIPE_PUBLIC_KEY (docs/billing.md), or silence "
            "this with SILENCED_SYSTEM_CHECKS = ['quickscale_billing.W001'].",
            id="quickscale_billing.W001",
        )
    ]
