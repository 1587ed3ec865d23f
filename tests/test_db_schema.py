"""The schema comparison behind the fast-migrate proof finds what a wrong migrate would leave."""

from __future__ import annotations

import copy

import pytest
from django.db import connection

from quickscale.db_schema import schema_diff, schema_snapshot

TABLE = "quickscale_credits_ledgerentry"


@pytest.fixture
def snapshot(db):
    return schema_snapshot(connection, [TABLE, "quickscale_orgs_organization"])


def _constraint(snapshot, **wanted):
    constraints = snapshot[TABLE]["constraints"]
    return next(
        name
        for name, description in constraints.items()
        if all(bool(description.get(key)) == value for key, value in wanted.items())
    )


def test_the_same_database_has_the_same_schema(snapshot):
    assert not schema_diff(snapshot, schema_snapshot(connection, list(snapshot)))


def test_a_missing_index_is_a_difference(snapshot):
    changed = copy.deepcopy(snapshot)
    name = _constraint(changed, index=True, unique=False, foreign_key=False, primary_key=False)
    del changed[TABLE]["constraints"][name]
    changed[TABLE].get("index_sql", {}).pop(name, None)
    diff = schema_diff(snapshot, changed)
    assert any(name in line and "missing" in line for line in diff.differences)


def test_a_changed_column_type_is_a_difference(snapshot):
    changed = copy.deepcopy(snapshot)
    changed[TABLE]["columns"]["description"]["type_code"] = "blob"
    diff = schema_diff(snapshot, changed)
    assert diff.differences == [
        f"{TABLE}.description: type_code is 'blob', expected "
        f"{snapshot[TABLE]['columns']['description']['type_code']!r}"
    ]


def test_a_missing_foreign_key_is_a_difference(snapshot):
    changed = copy.deepcopy(snapshot)
    name = next(
        name
        for name, description in changed[TABLE]["constraints"].items()
        if description["foreign_key"] and description["columns"] == ["organization_id"]
    )
    del changed[TABLE]["constraints"][name]
    del changed[TABLE]["relations"]["organization_id"]
    diff = schema_diff(snapshot, changed)
    assert any("relations" in line for line in diff.differences)
    assert any(name in line and "missing" in line for line in diff.differences)


def test_a_missing_table_is_a_difference(snapshot):
    changed = copy.deepcopy(snapshot)
    del changed["quickscale_orgs_organization"]
    assert schema_diff(snapshot, changed).differences == [
        "table quickscale_orgs_organization is missing"
    ]


def test_an_index_under_another_name_is_a_rename_not_a_difference(snapshot):
    changed = copy.deepcopy(snapshot)
    name = _constraint(changed, index=True, unique=False, foreign_key=False, primary_key=False)
    constraints = changed[TABLE]["constraints"]
    constraints["renamed_index"] = constraints.pop(name)
    if "index_sql" in changed[TABLE]:
        changed[TABLE]["index_sql"]["renamed_index"] = changed[TABLE]["index_sql"].pop(name)
    diff = schema_diff(snapshot, changed)
    assert diff.differences == []
    assert diff.renamed == [f"{TABLE}: constraint {name} is named renamed_index"] + (
        [f"{TABLE}: index SQL {name} is named renamed_index"]
        if "index_sql" in changed[TABLE]
        else []
    )
