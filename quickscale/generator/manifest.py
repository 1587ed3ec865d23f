"""The manifest a generated project keeps: what was generated, from what, with which context.

It is the base that sync-back merges against, so it must be deterministic: no timestamps,
no absolute paths, no secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import quickscale
from quickscale.generator.templates import CONTEXT_KEYS, TEMPLATE_DIR, template_files

MANIFEST_PATH = Path(".quickscale") / "manifest.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class TemplateRevision:
    commit: str | None
    dirty: bool


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def template_revision(template_dir: Path = TEMPLATE_DIR) -> TemplateRevision:
    """The git commit of the template when QuickScale runs from a checkout that tracks it."""
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    try:
        import git
    except ImportError:
        return TemplateRevision(commit=None, dirty=False)
    try:
        repo = git.Repo(template_dir, search_parent_directories=True)
        relative = template_dir.resolve().relative_to(Path(repo.working_tree_dir or "").resolve())
        if not repo.git.ls_files(relative.as_posix()):
            return TemplateRevision(commit=None, dirty=False)
        dirty = repo.is_dirty(path=relative.as_posix(), untracked_files=True)
        return TemplateRevision(commit=repo.head.commit.hexsha, dirty=dirty)
    except (git.GitError, ValueError, OSError):
        return TemplateRevision(commit=None, dirty=False)


def manifest_build(
    *, project_dir: Path, context: dict[str, Any], template_dir: Path = TEMPLATE_DIR
) -> dict[str, Any]:
    revision = template_revision(template_dir)
    files: dict[str, dict[str, Any]] = {}
    for entry in template_files(str(context["project_name"]), template_dir):
        written = project_dir / entry.target
        files[entry.target] = {
            "source": entry.source,
            "rendered": entry.rendered,
            "sha256": file_sha256(written),
        }
    return {
        "format": MANIFEST_FORMAT,
        "quickscale_version": quickscale.__version__,
        "template": {"commit": revision.commit, "dirty": revision.dirty},
        "context": {key: context[key] for key in CONTEXT_KEYS},
        "files": files,
    }


def manifest_write(*, project_dir: Path, manifest: dict[str, Any]) -> Path:
    path = project_dir / MANIFEST_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def manifest_read(project_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project_dir / MANIFEST_PATH).read_text(encoding="utf-8"))
    return data
