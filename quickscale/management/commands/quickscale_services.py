"""Operate the service framework from the shell (or a scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.services.services import service_runs_recover


class Command(BaseCommand):
    help = "Maintain service runs."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        recover = commands.add_parser(
            "recover",
            help=(
                "fail and refund runs still running after their deadline (a server that "
                "stopped mid-run); safe to run at any time, as often as you like"
            ),
        )
        # Runs carry their own deadline now; an age given on an old schedule must not be
        # silently ignored.
        recover.add_argument("--older-than", metavar="MINUTES", help="no longer used")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("older_than") is not None:
            raise CommandError(
                "--older-than is no longer used: each run has a deadline (its service's "
                "timeout, QUICKSCALE_SERVICE_TIMEOUT by default) and recover takes the runs "
                "past it. Run `manage.py quickscale_services recover` without it."
            )
        recovered = service_runs_recover()
        self.stdout.write(
            f"Recovered {recovered} run{'s' if recovered != 1 else ''} still running after "
            "the deadline: marked failed, credits refunded."
        )
