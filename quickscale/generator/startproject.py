"""Django's own startproject, pointed at the QuickScale template."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.core.management import CommandError
from django.core.management import templates as django_templates
from django.core.management.commands.startproject import Command as StartProjectCommand
from django.utils.version import get_docs_version

import quickscale
from quickscale.exceptions import QuickscaleError
from quickscale.generator.names import project_name_derive
from quickscale.generator.templates import RENDERED_FILES, TEMPLATE_DIR


class Command(StartProjectCommand):
    help = "Create a QuickScale project: Django's startproject over the QuickScale template."

    def validate_name(self, name: str, name_or_dir: str = "name") -> None:
        try:
            derived = project_name_derive(name)
        except QuickscaleError as error:
            raise CommandError(error.message) from error
        if derived.package != name:
            raise CommandError(f"'{name}' is not a valid package name; use '{derived.package}'.")


@contextmanager
def _without_formatters() -> Iterator[None]:
    # startproject runs black over its output when black is on PATH. Generated files must be
    # byte-identical for one context wherever they are generated, and the template sources
    # are already formatter-stable, so no formatter runs.
    original = django_templates.find_formatters  # type: ignore[attr-defined]
    django_templates.find_formatters = lambda: {"black_path": None}  # type: ignore[attr-defined]
    try:
        yield
    finally:
        django_templates.find_formatters = original  # type: ignore[attr-defined]


def render_context(*, package: str, title: str) -> dict[str, Any]:
    return {
        "project_name": package,
        "project_title": title,
        "camel_case_project_name": "".join(x for x in package.title() if x != "_"),
        "quickscale_version": quickscale.__version__,
        "django_version": django.__version__,
        "docs_version": get_docs_version(),
    }


def startproject_run(
    *, package: str, title: str, target: str, template_dir: Path = TEMPLATE_DIR
) -> None:
    options: dict[str, Any] = {
        "template": str(template_dir),
        "extensions": ["py"],
        "files": list(RENDERED_FILES),
        "verbosity": 0,
        "project_title": title,
        "quickscale_version": quickscale.__version__,
    }
    with _without_formatters():
        Command().handle(name=package, directory=target, **options)
