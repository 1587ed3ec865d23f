"""The files an AI assistant may read and write: the project's templates/ and static/ only.

Every write is checked first (a template must compile), written atomically, and the previous
version is kept so the last writes can be undone, one by one, even after a restart.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path, PurePosixPath

from django.template import Engine, TemplateSyntaxError

from quickscale.exceptions import WorkspaceError

EDITABLE_ROOTS = ("templates", "static")
HISTORY_DIR = Path(".quickscale") / "visual-history"
MAX_FILE_SIZE = 1024 * 1024  # bytes
TEMPLATE_SUFFIXES = (".html", ".htm", ".txt", ".xml")


class Workspace:
    def __init__(self, project_dir: Path, engine: Engine) -> None:
        self.project_dir = project_dir.resolve()
        self.engine = engine
        self.history = self.project_dir / HISTORY_DIR

    def resolve(self, relative: str) -> Path:
        """The file `relative` names, refused unless it lies inside templates/ or static/."""
        posix = PurePosixPath(relative.replace("\\", "/"))
        if posix.is_absolute() or not posix.parts or posix.parts[0] not in EDITABLE_ROOTS:
            raise WorkspaceError(
                f"{relative!r} is not inside templates/ or static/; only those may be read or "
                "written (give a path such as templates/pages/home.html)."
            )
        if ".." in posix.parts:
            raise WorkspaceError(f"{relative!r} leaves its folder with '..'.")
        root = (self.project_dir / posix.parts[0]).resolve()
        path = self.project_dir / posix
        current = self.project_dir
        for part in posix.parts:
            current = current / part
            if current.is_symlink():
                raise WorkspaceError(f"{relative!r} goes through a symbolic link.")
        try:
            path.resolve().relative_to(root)
        except ValueError:
            raise WorkspaceError(f"{relative!r} resolves outside {posix.parts[0]}/.") from None
        return path

    def read(self, relative: str) -> str:
        path = self.resolve(relative)
        if not path.is_file():
            raise WorkspaceError(f"{relative} does not exist.")
        if path.stat().st_size > MAX_FILE_SIZE:
            raise WorkspaceError(f"{relative} is larger than {MAX_FILE_SIZE // 1024} KiB.")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise WorkspaceError(f"{relative} is not a text file.") from None

    def _check(self, relative: str, content: str) -> None:
        if len(content.encode("utf-8")) > MAX_FILE_SIZE:
            raise WorkspaceError(f"The new {relative} is larger than {MAX_FILE_SIZE // 1024} KiB.")
        if relative.startswith("templates/") and relative.endswith(TEMPLATE_SUFFIXES):
            try:
                self.engine.from_string(content)
            except TemplateSyntaxError as error:
                raise WorkspaceError(
                    f"The new {relative} does not compile, so it was not written: {error}"
                ) from error

    def write(self, relative: str, content: str) -> Path:
        path = self.resolve(relative)
        self._check(relative, content)
        previous = path.read_text(encoding="utf-8") if path.is_file() else None
        self._remember(relative, previous)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, content)
        return path

    def last_written(self) -> str | None:
        entries = sorted(self.history.glob("*.json")) if self.history.is_dir() else []
        if not entries:
            return None
        return str(json.loads(entries[-1].read_text(encoding="utf-8"))["path"])

    def undo(self) -> str:
        """Put back the file of the last write as it was; return its path."""
        entries = sorted(self.history.glob("*.json")) if self.history.is_dir() else []
        if not entries:
            raise WorkspaceError("There is nothing to undo.")
        last = entries[-1]
        entry = json.loads(last.read_text(encoding="utf-8"))
        path = self.resolve(entry["path"])
        if entry["previous"] is None:
            path.unlink(missing_ok=True)
        else:
            _atomic_write(path, entry["previous"])
        last.unlink()
        return str(entry["path"])

    def _remember(self, relative: str, previous: str | None) -> None:
        self.history.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}.json"
        (self.history / name).write_text(
            json.dumps({"path": relative, "previous": previous}), encoding="utf-8"
        )


def _atomic_write(path: Path, content: str) -> None:
    fd, staged = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        if path.exists():
            os.chmod(staged, path.stat().st_mode & 0o777)
        else:
            os.chmod(staged, 0o644)
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
