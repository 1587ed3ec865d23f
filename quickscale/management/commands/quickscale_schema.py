"""Write the database's schema as JSON, or compare two such files (see quickscale/db_schema.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from quickscale.db_schema import schema_diff, schema_snapshot


class Command(BaseCommand):
    help = (
        "dump: write the database's schema (tables, columns, keys, indexes, constraints) as "
        "JSON. compare EXPECTED ACTUAL: exit 1 if two dumps differ, listing every difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        dump = actions.add_parser("dump", help="Write the schema as JSON.")
        dump.add_argument("--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections))
        dump.add_argument("--output", type=Path, help="A file to write (default: stdout).")
        compare = actions.add_parser("compare", help="Compare two dumps.")
        compare.add_argument("expected", type=Path)
        compare.add_argument("actual", type=Path)
        compare.add_argument(
            "--allow-renames",
            action="store_true",
            help="Pass when indexes or constraints differ only by their names.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "dump":
            text = json.dumps(schema_snapshot(connections[options["database"]]), indent=1)
            if options["output"]:
                options["output"].write_text(text + "\n")
            else:
                self.stdout.write(text)
            return
        try:
            expected = json.loads(options["expected"].read_text())
            actual = json.loads(options["actual"].read_text())
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read a schema dump: {error}") from error
        diff = schema_diff(expected, actual)
        for line in diff.differences:
            self.stdout.write(f"differs: {line}")
        for line in diff.renamed:
            self.stdout.write(f"renamed: {line}")
        failed = bool(diff.differences) or (bool(diff.renamed) and not options["allow_renames"])
        if failed:
            raise CommandError(
                f"{options['actual']} differs from {options['expected']}: "
                f"{len(diff.differences)} differences, {len(diff.renamed)} renames."
            )
        self.stdout.write(
            f"Same schema: {len(expected)} tables"
            + (f" ({len(diff.renamed)} renames allowed)." if diff.renamed else ".")
        )
