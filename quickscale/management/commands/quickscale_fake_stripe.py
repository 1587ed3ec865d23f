"""Serve the fake Stripe on 127.0.0.1 for the local demo (DEBUG only)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_PORT = 12111  # stripe-mock's port, so STRIPE_API_HOST values carry over


class Command(BaseCommand):
    help = (
        "Serve a local fake of the Stripe API with checkout, portal and test-clock pages, "
        "sending signed events to the webhook endpoints registered in it. DEBUG only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT)
        parser.add_argument("--state", default=None, help="JSON file that keeps the fake's state.")

    def handle(self, *args: Any, **options: Any) -> None:
        from quickscale.apps.billing.version import STRIPE_API_VERSION
        from quickscale.testing.fakestripe import FAKE_SECRET_KEY, FakeStripe

        fake = FakeStripe(api_version=STRIPE_API_VERSION, state_path=options["state"])
        fake.deliver_in_background()
        try:
            server = fake.serve(host=options["host"], port=options["port"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error}"
            ) from error
        self.stdout.write(f"Fake Stripe at {server.url} (test clock: {server.url}/clock)")
        self.stdout.write(f"  STRIPE_API_HOST={server.url}")
        self.stdout.write(f"  STRIPE_SECRET_KEY={FAKE_SECRET_KEY}")
        if getattr(settings, "STRIPE_API_HOST", None) != server.url:
            self.stdout.write("  (set both for the project, then register its webhook endpoint)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
