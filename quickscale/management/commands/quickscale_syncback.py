from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template import engines

from quickscale.cli import syncback_arguments, syncback_options
from quickscale.exceptions import ExitCode, QuickscaleError
from quickscale.messages import Console
from quickscale.syncback.run import syncback_run
from quickscale.syncback.terminal import syncback_report


class Command(BaseCommand):
    help = (
        "Push changes made in this project back into the QuickScale template: "
        "the same as `quickscale sync-back` run in this project's folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        syncback_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = type("Args", (), options)()
        run_options = syncback_options(namespace, Path(settings.BASE_DIR))  # type: ignore[misc]
        console = Console(out=self.stdout, err=self.stderr)  # type: ignore[arg-type]
        try:
            result = syncback_run(
                run_options,
                engine=lambda plan: engines["django"].engine,  # type: ignore[attr-defined]
            )
        except QuickscaleError as error:
            raise CommandError(
                f"{error.message} {error.hint}", returncode=error.exit_code
            ) from error
        code = syncback_report(result, console, as_json=options["json"])
        if code != ExitCode.OK:
            raise SystemExit(code)
