"""The first `migrate` of a fresh app, done at once from its migrations' final state.

Django applies a migration by rendering the project state before and after every operation;
for dj-stripe (one migration of ~520 operations, another of ~520 RemoveFields) that rendering
is nearly all of a minute-long first `migrate`. An app none of whose migrations is applied, none
of whose tables exists and whose migrations only change the schema can instead be created the
way Django's test runner creates a database without migrations (`MIGRATE: False`), but from the
state its migrations build: every model created by one schema editor, every migration recorded,
in one transaction. Anything else goes Django's way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name
from django.db.migrations import operations
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState

from quickscale.conf import app_settings

ENVIRONMENT_VARIABLE = "QUICKSCALE_MIGRATE_FAST"
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
# Told to the progress callback, with the app's first migration: before an app is created at
# once, and when it goes Django's way (with the reason).
FAST_APPLY_START = "quickscale_fast_apply_start"
FAST_FALLBACK = "quickscale_fast_fallback"

# Operations whose only effect on an empty app is its schema, which the final state describes.
# Matched by exact class: a subclass may do anything in database_forwards.
SCHEMA_OPERATIONS: frozenset[type[operations.base.Operation]] = frozenset(
    {
        operations.CreateModel,
        operations.AddField,
        operations.AlterField,
        operations.RemoveField,
        operations.RenameField,
        operations.DeleteModel,
        operations.RenameModel,
        operations.AlterModelTable,
        operations.AlterUniqueTogether,
        operations.AlterIndexTogether,
        operations.AddIndex,
        operations.RemoveIndex,
        operations.RenameIndex,
        operations.AddConstraint,
        operations.RemoveConstraint,
        operations.AlterModelOptions,
        operations.AlterModelManagers,
        operations.AlterOrderWithRespectTo,
        operations.AlterModelTableComment,
    }
)

EXECUTOR_SEAM = "MigrationExecutor"  # the name django.core.management.commands.migrate uses
Key = tuple[str, str]
ProgressCallback = Callable[..., Any]


def fast_migrate_enabled(*, requested: bool = True) -> bool:
    """Whether `migrate` may create fresh apps at once: not when `--no-fast` was given, not when
    the environment variable says no (it wins over the setting), not when the setting does."""
    if not requested:
        return False
    raw = os.environ.get(ENVIRONMENT_VARIABLE)
    if raw is not None and raw.strip():
        return raw.strip().lower() not in FALSE_WORDS
    return bool(app_settings.MIGRATE_FAST)


@contextmanager
def migrate_command_executor(executor_class: type[MigrationExecutor]) -> Iterator[None]:
    """Make Django's `migrate` command build its executor from `executor_class` meanwhile.

    The command builds `MigrationExecutor(connection, callback)` inside `handle()`, named from
    its module's globals: that module global is the private seam replaced here. If Django
    renames it, tests/test_migrate_fast.py's command tests (the fast path taken by `migrate`)
    fail."""
    from django.core.management.commands import migrate

    original = getattr(migrate, EXECUTOR_SEAM)
    setattr(migrate, EXECUTOR_SEAM, executor_class)
    try:
        yield
    finally:
        setattr(migrate, EXECUTOR_SEAM, original)


@dataclass(frozen=True)
class FastApp:
    """An app created at once: its migrations in plan order."""

    app_label: str
    migrations: tuple[Key, ...]


def migration_key(migration: Migration) -> Key:
    return (migration.app_label, migration.name)


def schema_only_refusal(migration: Migration) -> str | None:
    """Why `migration` may do more than its final state says, or None."""
    for method in ("apply", "unapply", "mutate_state"):
        if getattr(type(migration), method) is not getattr(Migration, method):
            return f"{migration.app_label}.{migration.name} overrides Migration.{method}"
    for operation in migration.operations:
        if type(operation) not in SCHEMA_OPERATIONS:
            return f"{migration.app_label}.{migration.name} has {type(operation).__name__}"
        # Django creates no table when a model becomes managed, nor drops one when it stops.
        if isinstance(operation, operations.AlterModelOptions) and "managed" in operation.options:
            return f"{migration.app_label}.{migration.name} changes a model's `managed`"
    return None


def _refuse_irreversible(plan: Sequence[tuple[Migration, bool]]) -> None:
    """Refuse a backwards plan that reaches an irreversible operation before unapplying anything:
    Django finds out only when it gets there, after undoing the migrations in front of it."""
    for migration, backwards in plan:
        if not backwards:
            continue
        for operation in migration.operations:
            if not operation.reversible:
                raise IrreversibleError(
                    f"Operation {operation} in {migration} is not reversible; nothing was "
                    "unapplied."
                )


class FastMigrationExecutor(MigrationExecutor):
    """Django's executor, except that the first migration of an app that qualifies creates the
    whole app from the state at its last migration in the plan (see `refusal`)."""

    def __init__(
        self, connection: BaseDatabaseWrapper, progress_callback: ProgressCallback | None = None
    ) -> None:
        super().__init__(connection, progress_callback)
        self.fast_apps: list[FastApp] = []
        self.fallbacks: dict[str, str] = {}  # app label: why it went Django's way
        self._order: list[Migration] = []
        self._enabled = False
        self._considered: set[str] = set()
        self._handed_out: dict[Key, ProjectState] = {}

    def migrate(  # type: ignore[no-untyped-def]
        self, targets, plan=None, state=None, fake=False, fake_initial=False
    ):
        if plan is None:
            plan = self.migration_plan(targets)
        if not fake:
            _refuse_irreversible(plan)
        self._enabled = bool(plan) and not (fake or fake_initial)
        self._enabled = self._enabled and all(not backwards for _, backwards in plan)
        if self._enabled:
            to_run = {migration for migration, _ in plan}
            full_plan = self.migration_plan(self.loader.graph.leaf_nodes(), clean_start=True)
            self._order = [migration for migration, _ in full_plan if migration in to_run]
        return super().migrate(
            targets, plan=plan, state=state, fake=fake, fake_initial=fake_initial
        )

    def migration_plan(
        self, targets: Any, clean_start: bool = False
    ) -> list[tuple[Migration, bool]]:
        """Django's plan; the full plan that a forward run walks has the apps that can be
        created at once moved as late as their dependents allow (see `_deferred`)."""
        plan = super().migration_plan(targets, clean_start=clean_start)
        if clean_start and self._enabled:
            return self._deferred(plan)
        return plan

    def _deferred(self, plan: list[tuple[Migration, bool]]) -> list[tuple[Migration, bool]]:
        """The same migrations in another valid order: those of fresh, schema-only apps wait
        until a migration that depends on them comes. Every migration of another app renders
        the whole project state around each of its operations; without dj-stripe's hundred
        models in that state until billing needs them, the rest of a first `migrate` takes a
        fraction of the time. Dependencies hold: a migration only ever moves later, and all
        that wait go before the first migration that needs any of them."""
        applied = self.recorder.applied_migrations()
        by_app: dict[str, list[Migration]] = {}
        for migration, _ in plan:
            by_app.setdefault(migration.app_label, []).append(migration)
        late = {
            app
            for app, migrations in by_app.items()
            if not any(key[0] == app for key in applied)
            and all(schema_only_refusal(migration) is None for migration in migrations)
        }
        if not late:
            return plan
        ordered: list[tuple[Migration, bool]] = []
        waiting: list[tuple[Migration, bool]] = []
        waiting_keys: set[Key] = set()
        for step in plan:
            migration = step[0]
            if migration.app_label in late:
                waiting.append(step)
                waiting_keys.add(migration_key(migration))
                continue
            parents = self.loader.graph.node_map[migration_key(migration)].parents
            if waiting_keys & {parent.key for parent in parents}:
                ordered.extend(waiting)
                waiting, waiting_keys = [], set()
            ordered.append(step)
        return ordered + waiting

    def apply_migration(  # type: ignore[no-untyped-def]
        self, state, migration, fake=False, fake_initial=False
    ):
        key = migration_key(migration)
        if key in self._handed_out:
            return self._report_applied(migration, self._handed_out.pop(key))
        if (
            self._enabled
            and not (fake or fake_initial)
            and migration.app_label not in self._considered
        ):
            self._considered.add(migration.app_label)
            created = self._create_app_at_once(state, migration)
            if created is not None:
                return created
        return super().apply_migration(state, migration, fake=fake, fake_initial=fake_initial)

    def _tell(self, action: str, migration: Migration, **extra: str) -> None:
        callback: Any = self.progress_callback
        if callback:
            callback(action, migration, False, **extra)

    def _report_applied(self, migration: Migration, state: ProjectState) -> ProjectState:
        if self.progress_callback:
            self.progress_callback("apply_start", migration, False)
            self.progress_callback("apply_success", migration, False)
        return state

    def _create_app_at_once(self, state: ProjectState, first: Migration) -> ProjectState | None:
        app_label = first.app_label
        mine = [migration for migration in self._order if migration.app_label == app_label]
        refusal = self.refusal(app_label, mine)
        if refusal is None:
            states, tables = self._states_after(state, mine)
            final = states[migration_key(mine[-1])]
            refusal = self._tables_refusal(tables)
        if refusal is not None:
            self.fallbacks[app_label] = refusal
            self._tell(FAST_FALLBACK, first, reason=refusal)
            return None
        if self.progress_callback:
            self.progress_callback(FAST_APPLY_START, first, False)
            self.progress_callback("apply_start", first, False)
        try:
            self._create_models(app_label, final, mine)
        except Exception as error:  # rolled back whole: Django's way may still succeed
            reason = f"creating it at once failed ({type(error).__name__}: {error})"
            self.fallbacks[app_label] = reason
            self._tell(FAST_FALLBACK, first, reason=reason)
            return None
        self.fast_apps.append(FastApp(app_label, tuple(migration_key(m) for m in mine)))
        for migration in mine[1:]:
            self._handed_out[migration_key(migration)] = states[migration_key(migration)]
        if self.progress_callback:
            self.progress_callback("apply_success", first, False)
        return states[migration_key(first)]

    def refusal(self, app_label: str, mine: Sequence[Migration]) -> str | None:
        """Why `app_label` (its migrations in the plan: `mine`) must go Django's way, or None.

        The cheap conditions; the tables are checked once the final state is known."""
        if not self.connection.features.can_rollback_ddl:
            return f"{self.connection.vendor} cannot roll back a half-created app"
        applied = self.recorder.applied_migrations()
        if any(key[0] == app_label for key in applied):
            return "some of its migrations are applied already"
        for migration in mine:
            reason = schema_only_refusal(migration)
            if reason is not None:
                return reason
        for migration in mine:
            for parent in self.loader.graph.node_map[migration_key(migration)].parents:
                if parent.key[0] != app_label and not self._is_applied(parent.key, applied):
                    return (
                        f"{migration.app_label}.{migration.name} needs "
                        f"{parent.key[0]}.{parent.key[1]}, not applied yet"
                    )
        # Another app's migration that runs between this app's first and last migrations and
        # depends on this app would see the final schema where it expects an earlier one.
        first, last = self._order.index(mine[0]), self._order.index(mine[-1])
        for other in self._order[first:last]:
            if other.app_label == app_label:
                continue
            ancestors = self.loader.graph.forwards_plan(migration_key(other))
            if any(key[0] == app_label for key in ancestors):
                return f"{other.app_label}.{other.name} depends on it and runs in between"
        return None

    def _is_applied(self, key: Key, applied: dict[Key, Any]) -> bool:
        if key in applied:
            return True
        replacement = self.loader.replacements.get(key)
        return replacement is not None and all(r in applied for r in replacement.replaces)

    def _states_after(
        self, state: ProjectState, mine: Sequence[Migration]
    ) -> tuple[dict[Key, ProjectState], set[str]]:
        """The project state after each of `mine`, unrendered but the last, and every table the
        app's models have along the way (auto-created M2M tables of the last state included).

        Mutating Django's rendered state re-renders models at every operation: that is the
        minute this module saves. A clone of the model states alone mutates in milliseconds.
        When nothing of another app runs between a migration and the last one, it gets the
        last state, so that the executor renders once."""
        working = ProjectState(
            models={key: model.clone() for key, model in state.models.items()},
            real_apps=state.real_apps,
        )
        app_label = mine[0].app_label
        max_length = self.connection.ops.max_name_length()
        states: dict[Key, ProjectState] = {}
        tables: set[str] = set()
        for migration in mine:
            migration.mutate_state(working, preserve=False)
            states[migration_key(migration)] = working.clone()
            for (label, _), model_state in working.models.items():
                if label == app_label:
                    default = truncate_name(f"{label}_{model_state.name_lower}", max_length)
                    tables.add(model_state.options.get("db_table") or default)
        last = migration_key(mine[-1])
        final = states[last]
        tail = self._order[self._order.index(mine[0]) :]
        for migration in mine:
            position = tail.index(migration)
            until_last = tail[position : tail.index(mine[-1]) + 1]
            if all(other.app_label == migration.app_label for other in until_last):
                states[migration_key(migration)] = final
        for model in final.apps.get_models(include_auto_created=True):
            if model._meta.app_label == app_label:
                tables.add(model._meta.db_table)
        return states, tables

    def _tables_refusal(self, tables: set[str]) -> str | None:
        fold = self.connection.features.ignores_table_name_case
        existing = {name.casefold() if fold else name for name in self._existing_tables()}
        for table in sorted(tables):
            if (table.casefold() if fold else table) in existing:
                return f"its table {table} exists already"
        return None

    def _existing_tables(self) -> list[str]:
        with self.connection.cursor() as cursor:
            return list(self.connection.introspection.table_names(cursor))

    def _create_models(
        self, app_label: str, final: ProjectState, mine: Sequence[Migration]
    ) -> None:
        """One transaction: every model (its M2M tables and, at the end, the deferred foreign
        keys and indexes) and the record of every migration."""
        alias = self.connection.alias
        with self.connection.schema_editor(atomic=True) as editor:
            for model in final.apps.get_models():
                if model._meta.app_label != app_label:
                    continue
                if model._meta.can_migrate(self.connection) and router.allow_migrate_model(
                    alias, model
                ):
                    editor.create_model(model)
            for migration in mine:
                # As MigrationExecutor.record_migration: a squashed migration records what it
                # replaces.
                for label, name in migration.replaces or [migration_key(migration)]:
                    self.recorder.record_applied(label, name)
