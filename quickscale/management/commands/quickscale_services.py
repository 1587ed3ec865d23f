"""Operate the service framework from the shell (or a scheduler)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quickscale.apps.services.services import service_runs_recover

DEFAULT_MINUTES = 10


def _minutes(text: str) -> int:
    try:
        minutes = int(text)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise CommandError(f"--older-than is a whole number of minutes, 1 or more, not {text!r}.")
    return minutes


class Command(BaseCommand):
    help = "Maintain service runs."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        recover = commands.add_parser(
            "recover",
            help="fail and refund runs left running by a server that stopped mid-run",
        )
        recover.add_argument(
            "--older-than",
            default=str(DEFAULT_MINUTES),
            metavar="MINUTES",
            help=(
                f"only runs started this long ago (default {DEFAULT_MINUTES}); keep it longer "
                "than the server's request timeout (GUNICORN_TIMEOUT)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = _minutes(options["older_than"])
        recovered = service_runs_recover(older_than=timedelta(minutes=minutes))
        self.stdout.write(
            f"Recovered {recovered} run{'s' if recovered != 1 else ''} left running for more "
            f"than {minutes} minute{'s' if minutes != 1 else ''}: marked failed, credits refunded."
        )
