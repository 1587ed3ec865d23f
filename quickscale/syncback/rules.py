"""What sync-back never touches, and why."""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath

SIZE_LIMIT = 1024 * 1024  # bytes; larger files are not templates anyone edits by hand
BINARY_SNIFF = 8192  # bytes read to look for NUL

NEVER_SYNCED: tuple[tuple[str, str], ...] = (
    (".env", "holds secrets"),
    (".env.*", "holds secrets"),
    ("*.sqlite3", "a database"),
    ("*.sqlite3-*", "a database"),
    ("media/*", "uploaded media"),
    ("staticfiles/*", "collected static files"),
    ("*/migrations/*", "migrations belong to the project's own history"),
    ("*__pycache__*", "a cache"),
    ("*.pyc", "a cache"),
    (".quickscale/*", "the manifest itself"),
    (".git/*", "version control"),
    (".venv/*", "a virtual environment"),
    ("node_modules/*", "installed packages"),
    ("*.log", "a log"),
)
# Only these folders of a project may hold files that become new template files.
NEW_FILE_ROOTS = ("templates/", "static/")


def refusal(relative: str, project_dir: Path) -> str | None:
    """Why the project file at `relative` must not be synced, or None when it may be."""
    posix = PurePosixPath(relative).as_posix()
    if posix == ".env.example":
        return None
    for pattern, reason in NEVER_SYNCED:
        if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(PurePosixPath(posix).name, pattern):
            return reason
    path = project_dir / relative
    for part in (path, *path.parents):
        if part == project_dir:
            break
        if part.is_symlink():
            return "a symbolic link"
    if not path.exists():
        return None
    if path.stat().st_size > SIZE_LIMIT:
        return f"larger than {SIZE_LIMIT // 1024} KiB"
    with path.open("rb") as handle:
        head = handle.read(BINARY_SNIFF)
    if is_binary(head):
        return "a binary file"
    return None


def is_binary(data: bytes) -> bool:
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sniffed prefix is still text.
        return error.start < len(data) - 4
    return False


def inside(root: Path, candidate: Path) -> bool:
    """True when `candidate` resolves to a path within `root` (no `..`, no symlink escape).
    `root` must already be resolved."""
    try:
        candidate.resolve().relative_to(root)
    except ValueError:
        return False
    return True
