"""Where the template lives, how QuickScale is installed, and the template as it was when a
project was generated."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quickscale.generator.templates import TEMPLATE_DIR

SWITCH_TO_CHECKOUT = (
    "git clone <the QuickScale repository> && pip install -e ./quickscale, "
    "then run sync-back again from the project's environment"
)


@dataclass(frozen=True)
class Checkout:
    """A git work tree that tracks the template QuickScale runs from (an editable install)."""

    root: Path
    template_prefix: str  # the template folder, relative to root, '/'-separated


def _git() -> Any:
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    try:
        import git
    except ImportError:
        return None
    return git


def checkout_find(template_dir: Path = TEMPLATE_DIR) -> Checkout | None:
    git = _git()
    if git is None:
        return None
    try:
        repo = git.Repo(template_dir, search_parent_directories=True)
        root = Path(repo.working_tree_dir or "").resolve()
        prefix = template_dir.resolve().relative_to(root).as_posix()
        if not repo.git.ls_files(prefix):
            return None
    except (git.GitError, ValueError, OSError):
        return None
    return Checkout(root=root, template_prefix=prefix)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TemplateHistory:
    """Reads template files as they were at a commit, falling back to none."""

    def __init__(self, checkout: Checkout | None, commit: str | None) -> None:
        self.repo = None
        self.commit = None
        self.prefix = checkout.template_prefix if checkout else ""
        git = _git()
        if checkout is None or git is None:
            return
        self.repo = git.Repo(checkout.root)
        if commit is None:
            return
        try:
            self.commit = self.repo.commit(commit)
        except (git.GitError, ValueError):
            self.commit = None

    def read(self, source: str) -> bytes | None:
        if self.commit is None:
            return None
        try:
            blob = self.commit.tree / f"{self.prefix}/{source}"
        except KeyError:
            return None
        data: bytes = blob.data_stream.read()
        return data

    def dirty(self, source: str) -> bool:
        if self.repo is None:
            return False
        return bool(self.repo.git.status("--porcelain", "--", f"{self.prefix}/{source}"))
