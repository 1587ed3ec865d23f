"""Where the project template lives and which of its files Django's rules render."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import quickscale

TEMPLATE_DIR = Path(quickscale.__file__).resolve().parent / "project_template"
BASE_NAME = "project_name"
RENDERED_EXTENSIONS = (".py",)
# Files rendered by name although they are not Python (TemplateCommand's --name option). None:
# `django-admin startproject --template` would copy them unrendered.
RENDERED_FILES: tuple[str, ...] = ()
REWRITTEN_SUFFIXES = ((".py-tpl", ".py"),)
SKIPPED_DIRECTORIES = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyo", ".pyc", ".py.class")

# The render context that templates may use, and that the manifest records.
CONTEXT_KEYS = (
    "project_name",
    "project_title",
    "camel_case_project_name",
    "quickscale_version",
    "django_version",
    "docs_version",
)


@dataclass(frozen=True)
class TemplateFile:
    source: str  # relative to the template root, '/'-separated
    target: str  # relative to the project root, '/'-separated
    rendered: bool


def template_files(project_name: str, template_dir: Path = TEMPLATE_DIR) -> list[TemplateFile]:
    """List what startproject writes for `project_name`, following TemplateCommand's own rules."""
    files: list[TemplateFile] = []
    for root, dirs, names in os.walk(template_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRECTORIES)
        relative_dir = Path(root).relative_to(template_dir)
        for name in sorted(names):
            if name.endswith(SKIPPED_SUFFIXES):
                continue
            source = (relative_dir / name).as_posix()
            target = (relative_dir / name).as_posix().replace(BASE_NAME, project_name)
            for old_suffix, new_suffix in REWRITTEN_SUFFIXES:
                if target.endswith(old_suffix):
                    target = target.removesuffix(old_suffix) + new_suffix
                    break
            rendered = target.endswith(RENDERED_EXTENSIONS) or name in RENDERED_FILES
            files.append(TemplateFile(source=source, target=target, rendered=rendered))
    return files
