"""How this project reaches Stripe: the secret key and the pinned API version, in one place."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from djstripe.settings import djstripe_settings

from quickscale.apps.billing.version import STRIPE_API_VERSION


class BillingNotConfiguredError(Exception):
    """Stripe has no secret key here: billing is off."""

    message = (
        "Billing is not set up: set STRIPE_SECRET_KEY (and STRIPE_PUBLIC_KEY) in the "
        "environment or .env, then run `python manage.py quickscale_stripe_sync`."
    )

    def __str__(self) -> str:
        return self.message


def configured() -> bool:
    return bool(djstripe_settings.STRIPE_SECRET_KEY)


def api_key() -> str:
    key = str(djstripe_settings.STRIPE_SECRET_KEY or "")
    if not key:
        raise BillingNotConfiguredError
    return key


def api_version() -> str:
    return getattr(settings, "STRIPE_API_VERSION", STRIPE_API_VERSION)


def request_options() -> dict[str, Any]:
    """Keyword arguments every call to the Stripe SDK takes."""
    return {"api_key": api_key(), "stripe_version": api_version()}


def livemode() -> bool:
    return bool(djstripe_settings.STRIPE_LIVE_MODE)
