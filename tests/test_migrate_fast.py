"""`migrate` creates a fresh, schema-only app at once, with the schema Django's own path builds;
anything else goes Django's way. Small throwaway apps, so that each test takes a moment."""

from __future__ import annotations

import io
import sys
import textwrap

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from quickscale.db_schema import schema_diff, schema_snapshot
from quickscale.migrate_fast import FastMigrationExecutor, fast_migrate_enabled

PLAIN = {
    "0001_initial": """
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Author",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True)),
                    ("name", models.CharField(max_length=100)),
                    ("nickname", models.CharField(max_length=20, db_index=True)),
                ],
            ),
            migrations.CreateModel(
                name="Book",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True)),
                    ("title", models.CharField(max_length=200)),
                    ("author", models.ForeignKey(on_delete=models.CASCADE, to="qsfx_plain.author")),
                ],
            ),
        ]
    """,
    "0002_more": """
        dependencies = [("qsfx_plain", "0001_initial")]
        operations = [
            migrations.AddField("book", "pages", models.IntegerField(default=0)),
            migrations.AddField(
                "book",
                "readers",
                models.ManyToManyField(to="qsfx_plain.author", related_name="read"),
            ),
            migrations.AlterField("author", "name", models.CharField(max_length=150, unique=True)),
            migrations.AddIndex(
                "book", models.Index(fields=["author", "-pages"], name="qsfx_book_pages")
            ),
            migrations.AddConstraint(
                "book",
                models.CheckConstraint(condition=models.Q(pages__gte=0), name="qsfx_positive"),
            ),
        ]
    """,
    "0003_less": """
        dependencies = [("qsfx_plain", "0002_more")]
        operations = [
            migrations.RemoveField("author", "nickname"),
            migrations.RenameField("book", "title", "heading"),
            migrations.AlterUniqueTogether("book", {("heading", "author")}),
            migrations.CreateModel(
                name="Gone",
                fields=[("id", models.BigAutoField(auto_created=True, primary_key=True))],
            ),
            migrations.DeleteModel("Gone"),
        ]
    """,
}
PYTHON = {
    "0001_initial": """
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Thing",
                fields=[("id", models.BigAutoField(auto_created=True, primary_key=True))],
            ),
        ]
    """,
    "0002_data": """
        dependencies = [("qsfx_python", "0001_initial")]
        operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
    """,
}
# qsfx_late's second migration needs qsfx_early's, which needs qsfx_late's first: when qsfx_late
# starts, a dependency of its later migration is not applied yet.
LATE = {
    "0001_initial": """
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Late",
                fields=[("id", models.BigAutoField(auto_created=True, primary_key=True))],
            ),
        ]
    """,
    "0002_link": """
        dependencies = [("qsfx_late", "0001_initial"), ("qsfx_early", "0001_initial")]
        operations = [
            migrations.AddField(
                "late",
                "early",
                models.ForeignKey(null=True, on_delete=models.SET_NULL, to="qsfx_early.early"),
            ),
        ]
    """,
}
EARLY = {
    "0001_initial": """
        dependencies = [("qsfx_late", "0001_initial")]
        operations = [
            migrations.CreateModel(
                name="Early",
                fields=[("id", models.BigAutoField(auto_created=True, primary_key=True))],
            ),
        ]
    """,
}
# Django's RenameField leaves the index naming the old field: the final state cannot be
# created as it stands, while the migrations run one by one.
STALE = {
    "0001_initial": """
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Note",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True)),
                    ("title", models.CharField(max_length=20)),
                ],
                options={"indexes": [models.Index(fields=["title"], name="qsfx_note_title")]},
            ),
            migrations.RenameField("note", "title", "heading"),
        ]
    """,
}
APPS = {
    "qsfx_plain": PLAIN,
    "qsfx_stale": STALE,
    "qsfx_python": PYTHON,
    "qsfx_late": LATE,
    "qsfx_early": EARLY,
}
HEADER = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"


@pytest.fixture(scope="module")
def app_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("migrate_fast_apps")
    for app, migrations in APPS.items():
        package = root / app / "migrations"
        package.mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
        (package / "__init__.py").write_text("")
        for name, body in migrations.items():
            (package / f"{name}.py").write_text(
                HEADER + textwrap.indent(textwrap.dedent(body), "    ")
            )
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


class ThrowawayMigrations(dict):
    """MIGRATION_MODULES with only the throwaway apps' migrations: the project's own apps stay
    as the test database was built (without migrations, like pytest-django's --no-migrations)."""

    def __contains__(self, app: object) -> bool:
        return True

    def __getitem__(self, app: str) -> str | None:
        return f"{app}.migrations" if app in APPS else None


@pytest.fixture
def migrate_command(monkeypatch):
    """Our `migrate`, built on Django's own command: pytest-django's --no-migrations swaps in a
    subclass that forces verbosity 0, which would hide what the command reports."""
    import importlib

    from django.core.management.commands import migrate as django_migrate

    silent = django_migrate.Command
    original = next(
        (base for base in silent.__mro__ if base.__module__ == django_migrate.__name__), silent
    )
    monkeypatch.setattr(django_migrate, "Command", original)
    module = importlib.reload(importlib.import_module("quickscale.management.commands.migrate"))
    yield module.Command
    monkeypatch.undo()
    importlib.reload(module)


@pytest.fixture
def throwaway_apps(app_root, transactional_db):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, *APPS], MIGRATION_MODULES=ThrowawayMigrations()
    ):
        yield
        _unmigrate_all()


def _unmigrate_all():
    """Drop the throwaway apps' tables and forget their migrations (some cannot be unapplied)."""
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for table in sorted(_tables("qsfx_"), key=lambda name: name.count("_"), reverse=True):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}{cascade}")
        if "django_migrations" in connection.introspection.table_names():
            cursor.execute("DELETE FROM django_migrations WHERE app LIKE %s", ["qsfx_%"])


def _migrate(executor_class, *targets):
    executor = executor_class(connection)
    executor.migrate(list(targets) or _leaves(executor, "qsfx_plain"))
    return executor


def _leaves(executor, app):
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == app]


def _tables(app):
    return [name for name in connection.introspection.table_names() if name.startswith(app)]


def _schema(app):
    return schema_snapshot(connection, _tables(app))


def _applied(app):
    executor = MigrationExecutor(connection)
    return sorted(name for label, name in executor.recorder.applied_migrations() if label == app)


def _normal_schema(app, *targets):
    _unmigrate_all()
    _migrate(MigrationExecutor, *targets)
    schema = _schema(app)
    _unmigrate_all()
    return schema


def test_fresh_schema_only_app_is_created_at_once_with_the_normal_schema(throwaway_apps):
    executor = _migrate(FastMigrationExecutor)
    assert [fast.app_label for fast in executor.fast_apps] == ["qsfx_plain"]
    assert _applied("qsfx_plain") == ["0001_initial", "0002_more", "0003_less"]
    fast = _schema("qsfx_plain")
    assert set(fast) == {"qsfx_plain_author", "qsfx_plain_book", "qsfx_plain_book_readers"}
    diff = schema_diff(_normal_schema("qsfx_plain"), fast)
    assert not diff.differences
    assert diff.renamed == _unique_made_by_alter_field()


def _unique_made_by_alter_field():
    """The one name the two paths give differently: on PostgreSQL, AlterField(unique=True) adds
    a constraint named <table>_<column>_<hash>_uniq, CREATE TABLE's inline UNIQUE is named
    <table>_<column>_key by PostgreSQL. Django finds unique constraints by their columns, so
    later migrations work on either."""
    if connection.vendor != "postgresql":
        return []
    return [
        f"qsfx_plain_author: {kind} qsfx_plain_author_name_58ebcd6d_uniq is named "
        "qsfx_plain_author_name_key"
        for kind in ("constraint", "constraint definition")
    ]


def test_migrate_after_a_fast_migrate_has_nothing_to_do(throwaway_apps):
    _migrate(FastMigrationExecutor)
    executor = FastMigrationExecutor(connection)
    assert executor.migration_plan(_leaves(executor, "qsfx_plain")) == []
    executor.migrate(_leaves(executor, "qsfx_plain"))
    assert executor.fast_apps == []


def test_app_fast_forwarded_to_an_earlier_migration_upgrades_to_the_normal_schema(
    throwaway_apps,
):
    first = _migrate(FastMigrationExecutor, ("qsfx_plain", "0002_more"))
    assert [fast.migrations for fast in first.fast_apps] == [
        (("qsfx_plain", "0001_initial"), ("qsfx_plain", "0002_more"))
    ]
    upgrade = _migrate(FastMigrationExecutor)
    assert upgrade.fast_apps == []
    assert upgrade.fallbacks["qsfx_plain"] == "some of its migrations are applied already"
    upgraded = _schema("qsfx_plain")
    diff = schema_diff(_normal_schema("qsfx_plain"), upgraded)
    assert not diff.differences
    assert diff.renamed == _unique_made_by_alter_field()


def test_run_python_sends_the_app_the_normal_way(throwaway_apps):
    executor = _migrate(FastMigrationExecutor, ("qsfx_python", "0002_data"))
    assert executor.fast_apps == []
    assert executor.fallbacks["qsfx_python"] == "qsfx_python.0002_data has RunPython"
    assert _tables("qsfx_python") == ["qsfx_python_thing"]


def test_a_final_state_that_cannot_be_created_sends_the_app_the_normal_way(throwaway_apps):
    executor = _migrate(FastMigrationExecutor, ("qsfx_stale", "0001_initial"))
    assert executor.fast_apps == []
    assert executor.fallbacks["qsfx_stale"].startswith("creating it at once failed")
    assert _tables("qsfx_stale") == ["qsfx_stale_note"]
    assert _applied("qsfx_stale") == ["0001_initial"]


def test_an_applied_migration_sends_the_app_the_normal_way(throwaway_apps):
    _migrate(MigrationExecutor, ("qsfx_plain", "0001_initial"))
    executor = _migrate(FastMigrationExecutor)
    assert executor.fast_apps == []
    assert "applied" in executor.fallbacks["qsfx_plain"]
    assert _applied("qsfx_plain") == ["0001_initial", "0002_more", "0003_less"]


def test_an_existing_table_sends_the_app_the_normal_way(throwaway_apps):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE qsfx_plain_book (id integer)")
    try:
        executor = FastMigrationExecutor(connection)
        with pytest.raises(DatabaseError):
            executor.migrate(_leaves(executor, "qsfx_plain"))
        assert executor.fallbacks["qsfx_plain"] == "its table qsfx_plain_book exists already"
        assert executor.fast_apps == []
    finally:
        _unmigrate_all()


def test_a_dependency_not_applied_yet_sends_the_app_the_normal_way(throwaway_apps):
    executor = _migrate(FastMigrationExecutor, ("qsfx_late", "0002_link"))
    assert executor.fallbacks["qsfx_late"] == (
        "qsfx_late.0002_link needs qsfx_early.0001_initial, not applied yet"
    )
    assert [fast.app_label for fast in executor.fast_apps] == ["qsfx_early"]
    assert _applied("qsfx_late") == ["0001_initial", "0002_link"]
    assert "early_id" in {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), "qsfx_late_late"
        )
    }


def test_migrate_command_creates_fresh_apps_at_once_and_reports_every_migration(
    throwaway_apps, migrate_command
):
    out = io.StringIO()
    call_command(migrate_command(), "qsfx_plain", stdout=out, verbosity=1)
    output = out.getvalue()
    assert "Creating qsfx_plain at once from its migrations' final state" in output
    for name in PLAIN:
        assert f"Applying qsfx_plain.{name}... OK" in output
    assert _applied("qsfx_plain") == sorted(PLAIN)


@pytest.mark.parametrize(
    ("options", "environment", "setting"),
    [
        ({"fast": False}, None, True),
        ({}, "False", True),
        ({}, None, False),
        ({"fake": True}, None, True),
    ],
    ids=["--no-fast", "environment", "setting", "--fake"],
)
def test_migrate_command_goes_django_s_way_when_told(
    throwaway_apps, migrate_command, monkeypatch, options, environment, setting
):
    if environment is None:
        monkeypatch.delenv("QUICKSCALE_MIGRATE_FAST", raising=False)
    else:
        monkeypatch.setenv("QUICKSCALE_MIGRATE_FAST", environment)
    out = io.StringIO()
    with override_settings(QUICKSCALE_MIGRATE_FAST=setting):
        call_command(migrate_command(), "qsfx_plain", stdout=out, verbosity=1, **options)
    assert "at once" not in out.getvalue()
    assert "Applying qsfx_plain.0001_initial" in out.getvalue()
    assert _applied("qsfx_plain") == sorted(PLAIN)


def test_migrating_a_fast_created_app_backwards_drops_it(throwaway_apps):
    _migrate(FastMigrationExecutor)
    call_command("migrate", "qsfx_plain", "zero", stdout=io.StringIO(), verbosity=1)
    assert _tables("qsfx_plain") == []
    assert _applied("qsfx_plain") == []


def test_environment_variable_wins_over_the_setting(monkeypatch, settings):
    settings.QUICKSCALE_MIGRATE_FAST = False
    monkeypatch.setenv("QUICKSCALE_MIGRATE_FAST", "true")
    assert fast_migrate_enabled()
    assert not fast_migrate_enabled(requested=False)
    monkeypatch.setenv("QUICKSCALE_MIGRATE_FAST", "off")
    settings.QUICKSCALE_MIGRATE_FAST = True
    assert not fast_migrate_enabled()


def test_the_full_plan_moves_fresh_schema_only_apps_late_and_keeps_every_dependency(
    throwaway_apps,
):
    executor = FastMigrationExecutor(connection)
    executor._enabled = True
    leaves = executor.loader.graph.leaf_nodes()
    django_plan = MigrationExecutor(connection).migration_plan(leaves, clean_start=True)
    plan = executor.migration_plan(leaves, clean_start=True)
    keys = [(migration.app_label, migration.name) for migration, _ in plan]
    assert sorted(keys) == sorted((m.app_label, m.name) for m, _ in django_plan)
    for position, key in enumerate(keys):
        for parent in executor.loader.graph.node_map[key].parents:
            assert keys.index(parent.key) < position, f"{key} before its dependency {parent.key}"
    # The app with a RunPython migration goes Django's way, first; the rest wait behind it.
    apps = [key[0] for key in keys]
    assert apps[: apps.count("qsfx_python")] == ["qsfx_python"] * apps.count("qsfx_python")
    assert django_plan[0][0].app_label != "qsfx_python"  # Django's own order differs
