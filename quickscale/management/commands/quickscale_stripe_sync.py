"""Copy Stripe's products and prices into this project's offers (every page of them).

Exit status: 0 synced (problems are listed as warnings); with --check, 0 when the local copy
matches Stripe and 1 when it has drifted or a product's metadata is wrong.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.billing.offers import offers_sync
from quickscale.apps.billing.stripe_api import BillingNotConfiguredError


class Command(BaseCommand):
    help = "Sync offers from Stripe's products and prices; --check reports drift and exits 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; list each difference and exit 1 if there is one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = bool(options["check"])
        try:
            report = offers_sync(check=check)
        except BillingNotConfiguredError as error:
            raise CommandError(str(error)) from error
        except stripe.StripeError as error:
            raise CommandError(
                f"Stripe answered with an error: {error.user_message or error}. Check "
                "STRIPE_SECRET_KEY and try again; nothing was changed."
            ) from error
        for problem in report.problems:
            self.stderr.write(self.style.WARNING(f"Not offered: {problem}"))
        if check:
            for line in report.differences:
                self.stdout.write(line)
            if report.differences or report.problems:
                self.stderr.write(
                    f"{len(report.differences)} difference(s), {len(report.problems)} "
                    "product(s) with bad metadata. Run `python manage.py quickscale_stripe_sync` "
                    "to copy Stripe's products; fix the metadata in Stripe."
                )
                raise SystemExit(1)
            self.stdout.write(self.style.SUCCESS("The offers match Stripe's products."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Offers synced: {len(report.created)} new, {len(report.updated)} changed, "
                f"{len(report.deactivated)} withdrawn."
            )
        )
