"""Checks every file sync-back would write, before anything is written."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from django.template import Engine, TemplateSyntaxError

from quickscale.syncback import reverse
from quickscale.syncback.plan import ACTIONABLE, Change, FilePlan, Plan, Status

DJANGO_TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def _problem(file: FilePlan, plan: Plan, engine: Engine) -> str | None:
    assert file.new is not None
    text = file.new.decode("utf-8")
    if file.source.endswith("-tpl"):
        try:
            rendered = reverse.render(text, plan.context)
        except TemplateSyntaxError as error:
            return f"the template does not render: {error}"
        if file.status == Status.APPLY and file.change == Change.MODIFIED:
            project = (plan.project_dir / file.path).read_bytes().decode("utf-8")
            if rendered != project:
                return "rendering the new template does not give the project's file back"
        if file.path.endswith(".py"):
            return _python_problem(rendered)
        return None
    if file.source.startswith("templates/") and file.source.endswith(DJANGO_TEMPLATE_SUFFIXES):
        try:
            engine.from_string(text)
        except TemplateSyntaxError as error:
            return f"the template does not compile: {error}"
    if file.source.endswith(".py"):
        return _python_problem(text)
    return None


def _python_problem(code: str) -> str | None:
    try:
        ast.parse(code)
    except SyntaxError as error:
        return f"not valid Python: line {error.lineno}: {error.msg}"
    return None


def plan_validate(plan: Plan, *, engine: Engine) -> list[FilePlan]:
    """Mark every file that fails its check as needing review; return those files."""
    failed = []
    for file in plan.files:
        if file.status not in ACTIONABLE or file.new is None:
            continue
        problem = _problem(file, plan, engine)
        if problem is not None:
            file.status, file.reason = Status.NEEDS_REVIEW, problem
            failed.append(file)
    return failed


def standalone_engine(libraries: Mapping[str, Any] | None = None) -> Engine:
    """An engine for checking templates outside a running project: Django's built-ins plus the
    tag libraries of the apps every generated project installs."""
    from django.template.backends.django import get_installed_libraries

    return Engine(libraries={**get_installed_libraries(), **dict(libraries or {})})
