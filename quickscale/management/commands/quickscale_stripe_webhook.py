"""Register this site's webhook endpoint at Stripe (once) and print its address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import stripe
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.billing.endpoints import webhook_endpoint_ensure
from quickscale.apps.billing.stripe_api import BillingNotConfiguredError


class Command(BaseCommand):
    help = "Register the webhook endpoint billing needs at Stripe, for the site at BASE_URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "base_url", help="Where Stripe reaches this site, e.g. https://example.com"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = str(options["base_url"])
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise CommandError(
                f"{base_url!r} is not a site address; give the scheme and host only, "
                "e.g. https://example.com"
            )
        try:
            endpoint, created = webhook_endpoint_ensure(base_url)
        except BillingNotConfiguredError as error:
            raise CommandError(str(error)) from error
        except stripe.StripeError as error:
            raise CommandError(
                f"Stripe refused the endpoint: {error.user_message or error}"
            ) from error
        verb = "Registered" if created else "Already registered"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {endpoint.url}"))
