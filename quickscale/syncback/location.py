"""Where sync-back finds the project template: one answer for the CLI, the management command
and the admin panel.

The Django setting QUICKSCALE_TEMPLATE_DIR wins when Django's settings are loaded and it is set
(a generated project's settings.py reads it from the environment or .env); otherwise the
environment variable of the same name; otherwise the template installed with QuickScale.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from quickscale.exceptions import SyncBackError
from quickscale.generator.templates import TEMPLATE_DIR

TEMPLATE_DIR_VARIABLE = "QUICKSCALE_TEMPLATE_DIR"
# Every project template has it at its root; a folder without it is a typo, not a template.
TEMPLATE_MARKER = "manage.py-tpl"
SETTINGS_MODULE = re.compile(
    r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][A-Za-z0-9_]*)\.settings["']"""
)


def template_dir_resolve() -> Path:
    from django.conf import settings

    from quickscale.conf import app_settings

    configured = app_settings.TEMPLATE_DIR if settings.configured else None
    where = f"the Django setting {TEMPLATE_DIR_VARIABLE}"
    if not configured:
        configured = os.environ.get(TEMPLATE_DIR_VARIABLE, "")
        where = f"the environment variable {TEMPLATE_DIR_VARIABLE}"
    if not configured:
        return TEMPLATE_DIR
    template_dir = Path(configured).expanduser()
    if not (template_dir / TEMPLATE_MARKER).is_file():
        raise SyncBackError(
            f"{where} names {template_dir}, which is not a QuickScale project template "
            f"(it has no {TEMPLATE_MARKER}).",
            hint="Point it at quickscale/project_template in your QuickScale checkout, "
            "or unset it to use the installed template.",
        )
    return template_dir


def project_package(project_dir: Path) -> str | None:
    """The project's Python package, as its manage.py names the settings module."""
    manage = project_dir / "manage.py"
    match = SETTINGS_MODULE.search(manage.read_text()) if manage.is_file() else None
    return match.group(1) if match else None


def project_settings_load(project_dir: Path) -> None:
    """Load the project's own Django settings, unless settings are loaded already: its template
    tag libraries check the templates, and its QUICKSCALE_TEMPLATE_DIR names the template."""
    from django.conf import settings

    package = project_package(project_dir)
    if settings.configured or package is None:
        return
    sys.path.insert(0, str(project_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{package}.settings"
    try:
        import django

        django.setup()
    except Exception as error:
        raise SyncBackError(
            f"The project's settings could not be loaded: {error}",
            hint="Run sync-back from the project's virtual environment, "
            "or run python manage.py quickscale_syncback in the project.",
        ) from error
