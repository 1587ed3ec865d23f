"""A small stateful fake of the Stripe API: the endpoints dj-stripe and QuickScale's billing call.

In-process for tests (``FakeStripe().install()`` swaps ``stripe.default_http_client``), or served
on 127.0.0.1 for the demo (``quickscale_fake_stripe``), with checkout, portal and test-clock pages.
It refuses to run unless DEBUG is on or Django's test environment is set up (safety.py).
"""

from __future__ import annotations

from quickscale.testing.fakestripe.errors import FakeStripeError
from quickscale.testing.fakestripe.fake import FAKE_SECRET_KEY, FakeStripe
from quickscale.testing.fakestripe.webhooks import django_client_deliverer, http_deliverer, sign

__all__ = [
    "FAKE_SECRET_KEY",
    "FakeStripe",
    "FakeStripeError",
    "django_client_deliverer",
    "http_deliverer",
    "sign",
]
