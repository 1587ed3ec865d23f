"""Operate API keys from the shell. Scripts rely on these subcommands and options."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.apps.services.registry import registry
from quickscale.exceptions import ApiKeyError, OrganizationPermissionError
from quickscale.management.commands.quickscale_credits import (
    aware_datetime,
    organization_named,
    user_named,
)

NAME_MAX_LENGTH = int(ApiKey._meta.get_field("name").max_length or 0)


def _row(key: ApiKey) -> dict[str, Any]:
    return {
        "prefix": key.prefix,
        "name": key.name,
        "organization": key.organization.slug,
        "user": key.user.email,
        "status": key.status(),
        "scopes": key.scopes,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


class Command(BaseCommand):
    help = "Create, list and revoke API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        create = commands.add_parser("create", help="create a key and print its token, once")
        create.add_argument(
            "--org",
            metavar="SLUG",
            help="the organization whose credits the key spends (default: the user's personal one)",
        )
        create.add_argument(
            "--user", required=True, metavar="EMAIL", help="the member who owns the key"
        )
        create.add_argument("--name", required=True, metavar="NAME")
        create.add_argument("--expires-at", type=aware_datetime, metavar="ISO8601")
        create.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SERVICE",
            help="a service the key may run (repeat for several; none: every service)",
        )

        listing = commands.add_parser("list", help="keys, newest first; never their secrets")
        listing.add_argument("--org", metavar="SLUG", help="only this organization's keys")
        listing.add_argument("--user", metavar="EMAIL", help="only keys this user made")
        listing.add_argument("--json", action="store_true", help="print one JSON array")

        revoke = commands.add_parser("revoke", help="revoke a key; calls with it then get 401")
        revoke.add_argument("--prefix", required=True, metavar="PREFIX")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        try:
            handler(options)
        except (ApiKeyError, OrganizationPermissionError) as error:
            raise CommandError(error.message) from error

    def _create(self, options: dict[str, Any]) -> None:
        user = user_named(options["user"])
        if options["org"]:
            organization = organization_named(options["org"])
            if not organization.memberships.filter(user=user).exists():
                raise CommandError(
                    f"{user.email} is not a member of {organization.slug}; a key is made by a "
                    "member of its organization."
                )
        else:
            organization = organization_personal_ensure(user=user)
        if len(options["name"].strip()) > NAME_MAX_LENGTH:
            raise CommandError(f"A key's name has at most {NAME_MAX_LENGTH} characters.")
        scopes: list[str] = options["scopes"] or []
        unknown = sorted({scope for scope in scopes if registry.get(scope) is None})
        if unknown:
            known = ", ".join(service.name for service in registry)
            raise CommandError(f"No service is named {', '.join(unknown)}; there are: {known}.")
        new_key = api_key_create(
            organization=organization,
            user=user,
            name=options["name"],
            expires_at=options["expires_at"],
            scopes=scopes,
        )
        self.stderr.write(
            f"Created the key {new_key.key.prefix} ({new_key.key.name}) of {organization.slug} "
            f"for {user.email}. "
            "Its token follows; it is shown only this once."
        )
        self.stdout.write(new_key.token)

    def _list(self, options: dict[str, Any]) -> None:
        keys = ApiKey.objects.select_related("user", "organization").order_by("-created_at", "-id")
        if options["org"]:
            keys = keys.filter(organization=organization_named(options["org"]))
        if options["user"]:
            keys = keys.filter(user=user_named(options["user"]))
        rows = [_row(key) for key in keys.iterator()]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        self.stdout.write(f"{'prefix':<6}  {'status':<7}  {'user':<30}  {'last used':<25}  name")
        for row in rows:
            self.stdout.write(
                f"{row['prefix']:<6}  {row['status']:<7}  {row['user']:<30}  "
                f"{row['last_used_at'] or 'never':<25}  {row['name']}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        key = ApiKey.objects.select_related("user").filter(prefix=options["prefix"]).first()
        if key is None:
            raise CommandError(f"No API key has the prefix {options['prefix']!r}.")
        if key.revoked_at is not None:
            self.stdout.write(
                f"The key {key.prefix} ({key.name}) of {key.user.email} was already revoked "
                f"at {key.revoked_at.isoformat()}."
            )
            return
        api_key_revoke(key=key)
        self.stdout.write(f"Revoked the key {key.prefix} ({key.name}) of {key.user.email}.")
