"""`quickscale init`: generate a project into a temporary folder, then move it into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.management import CommandError

from quickscale.exceptions import TargetExistsError, TargetNotWritableError, TemplateError
from quickscale.generator.envfile import env_file_write
from quickscale.generator.manifest import manifest_build, manifest_write
from quickscale.generator.names import ProjectName, project_name_derive
from quickscale.generator.startproject import render_context, startproject_run
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.messages import Console

DEFAULT_DIRECTORY_MODE = 0o777


@dataclass(frozen=True)
class InitResult:
    name: ProjectName
    project_dir: Path


def project_init(
    *,
    name: str,
    directory: str | None = None,
    title: str | None = None,
    console: Console,
    template_dir: Path = TEMPLATE_DIR,
) -> InitResult:
    project = project_name_derive(name, title=title)
    if project.package != project.human:
        console.info(f"Python package name: '{project.package}' (from '{project.human}').")
    target = Path(directory if directory is not None else project.human).expanduser().absolute()
    _target_check(target)
    created_parents = _parents_create(target.parent)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".quickscale-init-", dir=target.parent))
    except OSError as error:
        _parents_remove(created_parents)
        raise TargetNotWritableError(
            f"Cannot write into {target.parent}: {error.strerror or error}."
        ) from error
    try:
        with console.step(f"Generating {project.title}"):
            _generate(project=project, staging=staging, template_dir=template_dir)
        _move_into_place(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        _parents_remove(created_parents)
        raise TargetNotWritableError(
            f"Cannot write the project into {target}: {error.strerror or error}; "
            "nothing was left behind."
        ) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _parents_remove(created_parents)
        raise
    return InitResult(name=project, project_dir=target)


def _move_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.chmod(staging, DEFAULT_DIRECTORY_MODE & ~_umask())
        os.rename(staging, target)
        return
    # An existing empty folder stays itself (the user's shell may be in it, and it keeps its
    # owner and mode): the project's entries move into it, and back out on failure.
    moved: list[str] = []
    try:
        for name in sorted(os.listdir(staging)):
            os.rename(staging / name, target / name)
            moved.append(name)
    except OSError:
        for name in moved:
            os.rename(target / name, staging / name)
        raise
    staging.rmdir()


def _generate(*, project: ProjectName, staging: Path, template_dir: Path) -> None:
    try:
        startproject_run(
            package=project.package,
            title=project.title,
            target=str(staging),
            template_dir=template_dir,
        )
    except CommandError as error:
        raise TemplateError(f"The project template could not be rendered: {error}") from error
    context = render_context(package=project.package, title=project.title)
    manifest = manifest_build(project_dir=staging, context=context, template_dir=template_dir)
    manifest_write(project_dir=staging, manifest=manifest)
    env_file_write(project_dir=staging, package=project.package)


def _target_check(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise TargetExistsError(f"{target} already exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()):
        raise TargetExistsError(f"{target} already exists and is not empty; nothing was written.")
    if target.is_dir() and not os.access(target.parent, os.W_OK):
        raise TargetNotWritableError(f"Cannot write into {target.parent}.")


def _parents_create(parent: Path) -> list[Path]:
    missing: list[Path] = []
    for candidate in (parent, *parent.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except OSError as error:
            _parents_remove(missing)
            raise TargetNotWritableError(
                f"Cannot create the folder {folder}: {error.strerror or error}."
            ) from error
    return missing


def _parents_remove(created: list[Path]) -> None:
    for folder in created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
