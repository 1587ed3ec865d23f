"""A database's schema as Django's introspection sees it, and the differences between two.

Used to prove that `migrate`'s fast path (quickscale/migrate_fast.py) builds the schema that
Django's own path builds: tables, columns, primary keys, unique constraints, indexes, foreign
keys and check constraints; on SQLite also the column definitions and index SQL kept in
sqlite_master, on PostgreSQL every constraint's definition (pg_get_constraintdef). Column order
is ignored; a constraint or index that differs only by its name is told apart from a real
difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

Schema = dict[str, dict[str, Any]]  # table name: its description (JSON-ready)

POSTGRES_CONSTRAINT_DEFINITIONS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass
"""
SQLITE_MASTER = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s"
CREATE_TABLE_BODY = re.compile(r"\((.*)\)\s*$", re.DOTALL)
# Names SQLite's introspection makes up from a constraint's position in the table.
POSITIONAL_NAME = re.compile(r"^(__unnamed_constraint_\d+__|fk_\d+)$")


@dataclass
class SchemaDiff:
    differences: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)  # the same thing under another name

    def __bool__(self) -> bool:
        return bool(self.differences or self.renamed)


def schema_snapshot(connection: BaseDatabaseWrapper, tables: Iterable[str] | None = None) -> Schema:
    """Every table of the database (or only `tables`), described by introspection."""
    introspection = connection.introspection
    snapshot: Schema = {}
    with connection.cursor() as cursor:
        listed = {info.name: info.type for info in introspection.get_table_list(cursor)}
        wanted = sorted(listed) if tables is None else sorted(set(tables) & set(listed))
        for table in wanted:
            columns = {
                info.name: _column(info._asdict())
                for info in introspection.get_table_description(cursor, table)
            }
            description: dict[str, Any] = {
                "type": listed[table],
                "columns": columns,
                "primary_key": introspection.get_primary_key_columns(cursor, table),
                "relations": introspection.get_relations(cursor, table),
                "constraints": introspection.get_constraints(cursor, table),
            }
            if connection.vendor == "postgresql":
                cursor.execute(POSTGRES_CONSTRAINT_DEFINITIONS, [connection.ops.quote_name(table)])
                description["definitions"] = dict(cursor.fetchall())
            elif connection.vendor == "sqlite":
                description.update(_sqlite_master(cursor, table))
            snapshot[table] = description
    normal: Schema = json.loads(json.dumps(snapshot, sort_keys=True, default=str))
    return normal


def _column(info: dict[str, Any]) -> dict[str, Any]:
    info.pop("name")
    info["type_code"] = str(info["type_code"])
    return info


def _sqlite_master(cursor: Any, table: str) -> dict[str, Any]:
    cursor.execute(SQLITE_MASTER, [table])
    definitions: list[str] = []
    index_sql: dict[str, str] = {}
    for kind, name, sql in cursor.fetchall():
        if kind == "table" and sql:
            match = CREATE_TABLE_BODY.search(sql)
            definitions = sorted(_top_level_items(match.group(1) if match else sql))
        elif kind == "index" and sql:
            # Named by a placeholder, so that a renamed index can be matched by its definition.
            index_sql[name] = " ".join(sql.split()).replace(f'"{name}"', '"<name>"', 1)
    return {"definitions": definitions, "index_sql": index_sql}


def _top_level_items(body: str) -> list[str]:
    """The comma-separated items of a CREATE TABLE body: column definitions and constraints."""
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in body:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(" ".join("".join(current).split()))
            current = []
            continue
        current.append(char)
    items.append(" ".join("".join(current).split()))
    return [item for item in items if item]


def schema_diff(expected: Schema, actual: Schema) -> SchemaDiff:
    """How `actual` differs from `expected`, one sentence a difference."""
    diff = SchemaDiff()
    for table in sorted(expected.keys() - actual.keys()):
        diff.differences.append(f"table {table} is missing")
    for table in sorted(actual.keys() - expected.keys()):
        diff.differences.append(f"table {table} is extra")
    for table in sorted(expected.keys() & actual.keys()):
        _table_diff(table, expected[table], actual[table], diff)
    return diff


def _table_diff(
    table: str, expected: dict[str, Any], actual: dict[str, Any], diff: SchemaDiff
) -> None:
    for key in ("type", "primary_key", "relations"):
        if expected.get(key) != actual.get(key):
            diff.differences.append(
                f"{table}: {key} is {actual.get(key)!r}, expected {expected.get(key)!r}"
            )
    _columns_diff(table, expected["columns"], actual["columns"], diff)
    _named_diff(table, "constraint", expected["constraints"], actual["constraints"], diff)
    if expected.get("definitions") != actual.get("definitions"):
        if isinstance(expected.get("definitions"), dict):
            _named_diff(
                table, "constraint definition", expected["definitions"], actual["definitions"], diff
            )
        else:
            for item in sorted(set(expected["definitions"]) - set(actual["definitions"])):
                diff.differences.append(f"{table}: definition missing: {item}")
            for item in sorted(set(actual["definitions"]) - set(expected["definitions"])):
                diff.differences.append(f"{table}: definition extra: {item}")
    if "index_sql" in expected or "index_sql" in actual:
        _named_diff(
            table, "index SQL", expected.get("index_sql", {}), actual.get("index_sql", {}), diff
        )


def _columns_diff(
    table: str, expected: dict[str, Any], actual: dict[str, Any], diff: SchemaDiff
) -> None:
    for column in sorted(expected.keys() - actual.keys()):
        diff.differences.append(f"{table}.{column}: column missing")
    for column in sorted(actual.keys() - expected.keys()):
        diff.differences.append(f"{table}.{column}: column extra")
    for column in sorted(expected.keys() & actual.keys()):
        for attribute in sorted(expected[column].keys() | actual[column].keys()):
            want, got = expected[column].get(attribute), actual[column].get(attribute)
            if want != got:
                diff.differences.append(
                    f"{table}.{column}: {attribute} is {got!r}, expected {want!r}"
                )


def _signature(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _named_diff(
    table: str, kind: str, expected: dict[str, Any], actual: dict[str, Any], diff: SchemaDiff
) -> None:
    """Compare two name → description maps; unmatched names whose descriptions pair up are
    renames, the rest missing or extra (SQLite names unnamed constraints by position)."""
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            diff.differences.append(
                f"{table}: {kind} {name} is {actual[name]!r}, expected {expected[name]!r}"
            )
    missing = {name: expected[name] for name in expected.keys() - actual.keys()}
    extra = {name: actual[name] for name in actual.keys() - expected.keys()}
    extra_by_signature: dict[str, list[str]] = {}
    for name in sorted(extra):
        extra_by_signature.setdefault(_signature(extra[name]), []).append(name)
    for name in sorted(missing):
        candidates = extra_by_signature.get(_signature(missing[name]), [])
        if candidates:
            other = candidates.pop(0)
            del extra[other]
            if not (POSITIONAL_NAME.match(name) and POSITIONAL_NAME.match(other)):
                diff.renamed.append(f"{table}: {kind} {name} is named {other}")
            continue
        diff.differences.append(f"{table}: {kind} {name} is missing: {missing[name]!r}")
    for name in sorted(extra):
        diff.differences.append(f"{table}: {kind} {name} is extra: {extra[name]!r}")
