"""A QuickScale checkout of its own for each test: sync-back writes into it, never into ours."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from quickscale.generator.init import project_init
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.messages import Console

PROJECT = "acme_cloud"
TEMPLATE_PREFIX = Path("quickscale") / "project_template"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def make_checkout(root: Path) -> Path:
    """A git repository holding a copy of the template; returns the template folder."""
    template = root / "checkout" / TEMPLATE_PREFIX
    shutil.copytree(TEMPLATE_DIR, template, ignore=shutil.ignore_patterns("__pycache__"))
    repo = root / "checkout"
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "template")
    return template


def commit_all(template: Path, message: str = "change") -> None:
    repo = template.parents[1]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def generate(template: Path, parent: Path, name: str = PROJECT) -> Path:
    result = project_init(
        name=name,
        directory=str(parent / name),
        console=Console(out=io.StringIO(), err=io.StringIO()),
        template_dir=template,
    )
    return result.project_dir


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def project_files(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file()
        and path.relative_to(project).as_posix() not in {".env", ".quickscale/manifest.json"}
    }


def terminal_run(options, engine, *, as_json: bool = False) -> tuple[int, str]:
    """A run as the CLI and the command face it: the engine, then the terminal's translation."""
    from quickscale.syncback.run import syncback_run
    from quickscale.syncback.terminal import syncback_report

    out = io.StringIO()
    result = syncback_run(options, engine=lambda plan: engine)
    code = syncback_report(result, Console(out=out, err=out), as_json=as_json)
    return code, out.getvalue()
