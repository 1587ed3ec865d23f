"""Django's `migrate`, creating each fresh, schema-only app at once (quickscale/migrate_fast.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands import migrate
from django.db.migrations.migration import Migration

from quickscale.migrate_fast import (
    FAST_APPLY_START,
    FAST_FALLBACK,
    FastMigrationExecutor,
    fast_migrate_enabled,
    migrate_command_executor,
)


class Command(migrate.Command):
    help = (
        f"{migrate.Command.help} A fresh app whose migrations only change the schema is created "
        "at once from their final state (--no-fast: Django's way for every app)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-fast",
            action="store_false",
            dest="fast",
            help="Apply every migration one operation at a time, as Django does.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not fast_migrate_enabled(requested=options.get("fast", True)):
            super().handle(*args, **options)
            return
        with migrate_command_executor(FastMigrationExecutor):
            super().handle(*args, **options)

    def migration_progress_callback(
        self,
        action: str,
        migration: Migration | None = None,
        fake: bool = False,
        reason: str = "",
    ) -> None:
        if action == FAST_FALLBACK:
            if self.verbosity >= 2 and migration is not None:
                self.stdout.write(f"  {migration.app_label} goes Django's way: {reason}")
            return
        if action == FAST_APPLY_START:
            if self.verbosity >= 1 and migration is not None:
                self.stdout.write(
                    f"  Creating {migration.app_label} at once from its migrations' final state"
                )
            return
        super().migration_progress_callback(action, migration, fake)
