"""Operate the credit ledger from the shell. Scripts rely on these subcommands and options."""

from __future__ import annotations

import argparse
import csv
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.selectors import user_get_by_email
from quickscale.apps.accounts.validators import EMAIL_MAX_LENGTH, email_length_message
from quickscale.apps.credits import services
from quickscale.apps.credits.models import LedgerEntry, LotKind
from quickscale.apps.credits.selectors import credit_balance_get, ledger_entries_iter
from quickscale.apps.orgs.models import Organization
from quickscale.apps.orgs.selectors import organization_by_slug
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.exceptions import CreditsError, InsufficientCreditsError

INSUFFICIENT_CREDITS_EXIT = 3
LEDGER_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "amount",
    "description",
    "actor",
    "idempotency_key",
    "lot",
    "refund_of",
    "metadata",
)


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be above zero")
    return number


def nonzero_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number == 0:
        raise argparse.ArgumentTypeError("an adjustment cannot be zero")
    return number


def user_named(email: str) -> User:
    """The user with this e-mail address (any case), or the command's error."""
    if len(email) > EMAIL_MAX_LENGTH:
        raise CommandError(f"No user can have this address: {email_length_message(email)}")
    user = user_get_by_email(email=email)
    if user is None:
        raise CommandError(f"No user has the e-mail address {email!r}.")
    return user


def organization_named(slug: str) -> Organization:
    """The organization with this slug, or the command's error."""
    organization = organization_by_slug(slug=slug)
    if organization is None:
        raise CommandError(
            f"No organization has the slug {slug!r}; the admin's Organizations page lists them."
        )
    return organization


def add_owner_arguments(parser: CommandParser, *, required: bool = True) -> None:
    """--org SLUG, or --user EMAIL for that user's personal organization."""
    owner = parser.add_mutually_exclusive_group(required=required)
    owner.add_argument("--org", metavar="SLUG", help="the organization, by its slug")
    owner.add_argument("--user", metavar="EMAIL", help="that user's personal organization")


def owner_named(options: dict[str, Any]) -> Organization:
    """The organization --org names, or the personal organization of --user."""
    if options.get("org"):
        return organization_named(options["org"])
    return organization_personal_ensure(user=user_named(options["user"]))


def owner_label(owner: Organization) -> str:
    """A personal organization by its person's address (what --user named), a team by name."""
    if owner.is_personal and owner.personal_owner is not None:
        return owner.personal_owner.email
    return f"{owner.name} ({owner.slug})"


def aware_datetime(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z"
        ) from None
    if timezone.is_naive(moment):
        raise argparse.ArgumentTypeError(
            f"{value!r} has no time zone; add one, e.g. 2030-01-31T00:00:00Z"
        )
    return moment


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "created_at": entry.created_at.isoformat(),
        "kind": entry.kind,
        "amount": entry.amount,
        "description": entry.description,
        "actor": entry.actor.email if entry.actor else None,
        "idempotency_key": entry.idempotency_key,
        "lot": entry.lot_id,
        "refund_of": entry.refund_of_id,
        "metadata": entry.metadata,
    }


class Command(BaseCommand):
    help = "Grant, consume, refund, expire and inspect credits."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        grant = commands.add_parser("grant", help="add a lot of credits to an organization")
        add_owner_arguments(grant)
        grant.add_argument("--amount", required=True, type=positive_int)
        grant.add_argument("--kind", required=True, choices=LotKind.values)
        grant.add_argument("--expires-at", type=aware_datetime, metavar="ISO8601")
        grant.add_argument("--idempotency-key", metavar="K")
        grant.add_argument("--reason", default="", metavar="TEXT")

        consume = commands.add_parser("consume", help="debit credits (exit 3 when insufficient)")
        add_owner_arguments(consume)
        consume.add_argument("--amount", required=True, type=positive_int)
        consume.add_argument("--idempotency-key", metavar="K")
        consume.add_argument("--description", default="", metavar="TEXT")

        adjust = commands.add_parser(
            "adjust", help="an operator's correction: add (N > 0) or remove (N < 0) credits"
        )
        add_owner_arguments(adjust)
        adjust.add_argument("--amount", required=True, type=nonzero_int, metavar="N")
        adjust.add_argument("--reason", required=True, metavar="TEXT")
        adjust.add_argument("--idempotency-key", metavar="K")

        refund = commands.add_parser("refund", help="give a debit back to the lots it drew from")
        refund.add_argument("--entry", required=True, type=positive_int, metavar="ID")
        refund.add_argument("--idempotency-key", metavar="K")

        balance = commands.add_parser("balance", help="an organization's balance by kind")
        add_owner_arguments(balance)
        balance.add_argument("--json", action="store_true", help="print one JSON object")

        commands.add_parser("expire", help="write expiry entries for every lapsed lot")

        ledger = commands.add_parser("ledger", help="an organization's whole ledger, oldest first")
        add_owner_arguments(ledger)
        ledger.add_argument("--format", choices=("table", "csv", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        try:
            handler(options)
        except InsufficientCreditsError as error:
            raise CommandError(error.message, returncode=INSUFFICIENT_CREDITS_EXIT) from error
        except CreditsError as error:
            raise CommandError(error.message) from error

    def _key(self, options: dict[str, Any]) -> str:
        return str(options["idempotency_key"] or f"command:{uuid.uuid4()}")

    def _grant(self, options: dict[str, Any]) -> None:
        owner = owner_named(options)
        entry = services.credits_grant(
            organization=owner,
            amount=options["amount"],
            kind=options["kind"],
            expires_at=options["expires_at"],
            idempotency_key=self._key(options),
            source_type="command",
            description=options["reason"],
        )
        balance = credit_balance_get(organization=owner)
        self.stdout.write(
            f"Granted {entry.amount} {options['kind']} credits to {owner_label(owner)} "
            f"(entry {entry.pk}); balance {balance.total}."
        )

    def _consume(self, options: dict[str, Any]) -> None:
        owner = owner_named(options)
        entry = services.credits_consume(
            organization=owner,
            amount=options["amount"],
            idempotency_key=self._key(options),
            description=options["description"],
        )
        balance = credit_balance_get(organization=owner)
        self.stdout.write(
            f"Debited {-entry.amount} credits from {owner_label(owner)} (entry {entry.pk}); "
            f"balance {balance.total}."
        )

    def _adjust(self, options: dict[str, Any]) -> None:
        owner = owner_named(options)
        entry = services.credits_adjust(
            organization=owner,
            amount=options["amount"],
            reason=options["reason"],
            idempotency_key=self._key(options),
        )
        balance = credit_balance_get(organization=owner)
        self.stdout.write(
            f"Adjusted the credits of {owner_label(owner)} by {entry.amount:+d} "
            f"(entry {entry.pk}); balance {balance.total}."
        )

    def _refund(self, options: dict[str, Any]) -> None:
        entry = LedgerEntry.objects.filter(pk=options["entry"]).first()
        if entry is None:
            raise CommandError(f"There is no ledger entry {options['entry']}.")
        refund = services.credits_refund(entry=entry, idempotency_key=self._key(options))
        forfeited = refund.metadata.get("forfeited", 0)
        note = f", {forfeited} of them to lots already expired" if forfeited else ""
        self.stdout.write(
            f"Refunded {refund.metadata.get('refunded')} credits of entry {entry.pk}{note} "
            f"(entry {refund.pk})."
        )

    def _balance(self, options: dict[str, Any]) -> None:
        balance = credit_balance_get(organization=owner_named(options))
        if options["json"]:
            self.stdout.write(json.dumps(balance.as_dict()))
            return
        for name in ("total", "subscription", "payg", "promo"):
            self.stdout.write(f"{name:<13}{getattr(balance, name):>12}")
        if balance.next_expiry:
            self.stdout.write(
                f"{balance.next_expiry_amount} credits expire at {balance.next_expiry.isoformat()}"
            )

    def _expire(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"Expired {services.credits_expire()} lots.")

    def _ledger(self, options: dict[str, Any]) -> None:
        owner = owner_named(options)
        write = {"table": self._table, "csv": self._csv, "json": self._json}[options["format"]]
        # Inside a transaction PostgreSQL streams the cursor; outside one Django must declare it
        # WITH HOLD, and the server materializes the whole ledger before the first row.
        with transaction.atomic():
            write(_row(entry) for entry in ledger_entries_iter(organization=owner))

    def _table(self, rows: Iterable[dict[str, Any]]) -> None:
        self.stdout.write(
            f"{'id':>8}  {'created_at':<32}  {'kind':<10}  {'amount':>10}  description"
        )
        for row in rows:
            self.stdout.write(
                f"{row['id']:>8}  {row['created_at']:<32}  {row['kind']:<10}  "
                f"{row['amount']:>+10}  {row['description']}"
            )

    def _csv(self, rows: Iterable[dict[str, Any]]) -> None:
        writer = csv.DictWriter(self.stdout, fieldnames=LEDGER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "metadata": json.dumps(row["metadata"], sort_keys=True)})

    def _json(self, rows: Iterable[dict[str, Any]]) -> None:
        self.stdout.write("[", ending="")
        for index, row in enumerate(rows):
            self.stdout.write(("," if index else "") + "\n" + json.dumps(row), ending="")
        self.stdout.write("\n]")
