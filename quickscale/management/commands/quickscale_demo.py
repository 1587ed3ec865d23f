from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.accounts.services import demo_user_ensure
from quickscale.apps.accounts.validators import validate_email_length
from quickscale.apps.billing import demo, stripe_api
from quickscale.apps.billing.endpoints import webhook_endpoint_ensure
from quickscale.apps.billing.offers import offers_sync
from quickscale.apps.credits.models import LotKind
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.conf import app_settings

DEMO_CREDITS = 100


class Command(BaseCommand):
    help = (
        "Create or reset the demo superuser with a new password and print its credentials; "
        "it gets 100 demo credits once. "
        "Development only: refuses to run with DEBUG off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=None, help="the demo user's e-mail address")
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="where the demo is served; with a test-mode Stripe (STRIPE_SECRET_KEY sk_test_…, "
            "such as the fake `make demo` runs), its webhook endpoint is registered for it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "DEBUG is off: a demo superuser is never created on a production site. "
                "Create administrators with `python manage.py createsuperuser`."
            )
        email = options["email"] or app_settings.DEMO_EMAIL
        try:
            validate_email_length(email)
            user, password = demo_user_ensure(email=email)
        except ValidationError as error:
            raise CommandError(
                f"{email!r} is not an e-mail address the demo user can have: "
                + " ".join(error.messages)
            ) from error
        credits_grant(
            organization=organization_personal_ensure(user=user),
            amount=DEMO_CREDITS,
            kind=LotKind.PROMO,
            idempotency_key="demo:welcome",
            source_type="demo",
            description="Demo credits",
        )
        self.stdout.write(
            self.style.SUCCESS("Demo user ready (a superuser; its e-mail is verified):")
        )
        self.stdout.write(f"  e-mail:   {user.email}")
        self.stdout.write(f"  password: {password}")
        if stripe_api.configured():
            self._billing(str(options["site_url"]))

    def _billing(self, site_url: str) -> None:
        """Products to buy, the webhook endpoint and the offers, in Stripe's test mode only."""
        if not demo.test_mode():
            self.stdout.write("Billing: a live Stripe key is set, so the demo leaves Stripe alone.")
            return
        try:
            demo.wait_for_stripe()
            created = demo.demo_catalogue_ensure()
            webhook_endpoint_ensure(site_url)
            report = offers_sync()
        except demo.LiveModeError:
            self.stdout.write("Billing: a live Stripe key is set, so the demo leaves Stripe alone.")
            return
        except stripe.StripeError as error:
            raise CommandError(
                f"Stripe at {stripe.api_base} did not answer as expected: {error}. Is the fake "
                "Stripe running (python manage.py quickscale_fake_stripe)?"
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Billing ready in test mode: {created} demo products created, "
                f"{len(report.created) + len(report.updated)} offers synced. "
                f"Buy credits at {site_url.rstrip('/')}/pricing/"
            )
        )
