from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.accounts.services import demo_user_ensure
from quickscale.apps.accounts.validators import validate_email_length
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
