"""What sync-back would do: one entry per project file that differs from what was generated."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from quickscale.exceptions import NoManifestError
from quickscale.generator.manifest import MANIFEST_PATH, manifest_read
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.syncback import reverse, rules
from quickscale.syncback.merge import merge3
from quickscale.syncback.versions import Checkout, TemplateHistory, checkout_find, sha256


class Status(StrEnum):
    APPLY = "apply"
    MERGED = "merged"
    CONFLICT = "conflict"
    NEEDS_REVIEW = "needs-review"
    SKIPPED = "skipped"


class Change(StrEnum):
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"


ACTIONABLE = (Status.APPLY, Status.MERGED)
PENDING = (Status.APPLY, Status.MERGED, Status.CONFLICT, Status.NEEDS_REVIEW)


@dataclass
class FilePlan:
    path: str  # in the project, '/'-separated
    source: str  # in the template, '/'-separated
    change: Change
    status: Status
    reason: str = ""
    current: bytes | None = None  # the template file now
    new: bytes | None = None  # what the template file becomes (None: deleted or not written)
    conflict: str = ""

    @property
    def diff(self) -> str:
        if self.status == Status.CONFLICT:
            return self.conflict
        if self.status not in ACTIONABLE:
            return ""
        before = (self.current or b"").decode("utf-8", "replace").splitlines(keepends=True)
        after = (self.new or b"").decode("utf-8", "replace").splitlines(keepends=True)
        return "".join(
            difflib.unified_diff(
                before, after, f"template/{self.source}", f"template/{self.source}"
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "template_file": self.source,
            "change": self.change.value,
            "status": self.status.value,
            "reason": self.reason,
            "diff": self.diff,
        }


@dataclass
class Plan:
    project_dir: Path
    template_dir: Path
    checkout: Checkout | None
    context: Mapping[str, Any]
    files: list[FilePlan] = field(default_factory=list)

    @property
    def actionable(self) -> list[FilePlan]:
        return [f for f in self.files if f.status in ACTIONABLE]

    @property
    def pending(self) -> list[FilePlan]:
        return [f for f in self.files if f.status in PENDING]

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.project_dir),
            "template": str(self.template_dir),
            "mode": "checkout" if self.checkout else "installed",
            "files": [f.as_dict() for f in self.files],
        }


def _selected(path: str, only: Iterable[str] | None) -> bool:
    if not only:
        return True
    return any(path == o.rstrip("/") or path.startswith(o.rstrip("/") + "/") for o in only)


def _generated(candidate: bytes, rendered: bool, context: Mapping[str, Any]) -> bytes:
    if not rendered:
        return candidate
    return reverse.render(candidate.decode("utf-8"), context).encode("utf-8")


def _modified(
    *,
    target: str,
    entry: Mapping[str, Any],
    project: bytes,
    template_dir: Path,
    history: TemplateHistory,
    context: Mapping[str, Any],
) -> FilePlan:
    source = entry["source"]
    plan = FilePlan(path=target, source=source, change=Change.MODIFIED, status=Status.NEEDS_REVIEW)
    template_path = template_dir / source
    if not template_path.is_file():
        plan.reason = "the template file was removed since the project was generated"
        return plan
    plan.current = template_path.read_bytes()
    rendered = bool(entry["rendered"])
    # The template now is the usual base (it has not changed since generation); the history is
    # read only when it has.
    base = next(
        (
            candidate
            for candidate in (plan.current, history.read(source))
            if candidate is not None
            and sha256(_generated(candidate, rendered, context)) == entry["sha256"]
        ),
        None,
    )
    if base is None:
        plan.reason = (
            "the template as it was when this project was generated is not available "
            "(generated from another checkout or an uncommitted template)"
        )
        return plan
    if rendered:
        result = reverse.template_for(
            template=base.decode("utf-8"),
            generated=_generated(base, True, context).decode("utf-8"),
            project=project.decode("utf-8"),
            context=context,
        )
        if result.text is None:
            plan.reason = result.reason
            return plan
        theirs = result.text.encode("utf-8")
    else:
        theirs = project
    if theirs == plan.current:
        plan.status, plan.reason = Status.SKIPPED, "already in the template"
    elif plan.current == base:
        plan.status, plan.new = Status.APPLY, theirs
    else:
        merged = merge3(
            base.decode("utf-8").splitlines(keepends=True),
            plan.current.decode("utf-8").splitlines(keepends=True),
            theirs.decode("utf-8").splitlines(keepends=True),
        )
        if merged.conflicts:
            plan.status = Status.CONFLICT
            plan.reason = f"{merged.conflicts} region(s) changed both in the template and here"
            plan.conflict = merged.text
        else:
            plan.status, plan.new = Status.MERGED, merged.text.encode("utf-8")
            plan.reason = "merged with changes made to the template since generation"
    return plan


def _new_files(project_dir: Path, known: set[str]) -> Iterable[str]:
    for root in rules.NEW_FILE_ROOTS:
        folder = project_dir / root
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and d != "__pycache__"
            )
            for name in sorted(filenames):
                relative = (Path(dirpath) / name).relative_to(project_dir).as_posix()
                if relative not in known:
                    yield relative


def plan_build(
    *,
    project_dir: Path,
    template_dir: Path = TEMPLATE_DIR,
    include_new: bool = False,
    include_deleted: bool = False,
    only: Iterable[str] | None = None,
) -> Plan:
    project_dir = project_dir.resolve()
    template_root = template_dir.resolve()
    if not (project_dir / MANIFEST_PATH).is_file():
        raise NoManifestError(
            f"{project_dir} has no {MANIFEST_PATH}: it was not made by quickscale init."
        )
    manifest = manifest_read(project_dir)
    context = manifest["context"]
    checkout = checkout_find(template_dir)
    history = TemplateHistory(checkout, manifest.get("template", {}).get("commit"))
    plan = Plan(
        project_dir=project_dir, template_dir=template_dir, checkout=checkout, context=context
    )
    only = list(only or [])
    files: dict[str, Any] = manifest["files"]
    for target in sorted(files):
        if not _selected(target, only):
            continue
        entry = files[target]
        source = entry["source"]
        if not rules.inside(template_root, template_dir / source):
            plan.files.append(
                FilePlan(target, source, Change.MODIFIED, Status.SKIPPED, "outside the template")
            )
            continue
        project_path = project_dir / target
        if not project_path.exists() and not project_path.is_symlink():
            plan.files.append(_deleted(target, source, template_dir, include_deleted))
            continue
        project = None if project_path.is_symlink() else project_path.read_bytes()
        if project is not None and sha256(project) == entry["sha256"]:
            continue
        if (reason := rules.refusal(target, project_dir)) is not None:
            plan.files.append(FilePlan(target, source, Change.MODIFIED, Status.SKIPPED, reason))
            continue
        assert project is not None
        plan.files.append(
            _modified(
                target=target,
                entry=entry,
                project=project,
                template_dir=template_dir,
                history=history,
                context=context,
            )
        )
    for target in _new_files(project_dir, set(files)):
        if _selected(target, only):
            plan.files.append(_added(target, project_dir, template_dir, include_new, template_root))
    return plan


def _deleted(target: str, source: str, template_dir: Path, include: bool) -> FilePlan:
    plan = FilePlan(target, source, Change.DELETED, Status.SKIPPED)
    template_path = template_dir / source
    if not template_path.is_file():
        plan.reason = "already gone from the template"
    elif not include:
        plan.reason = (
            "deleted in the project; pass --include-deleted to delete it from the template"
        )
    else:
        plan.status, plan.current = Status.APPLY, template_path.read_bytes()
    return plan


def _added(
    target: str, project_dir: Path, template_dir: Path, include: bool, template_root: Path
) -> FilePlan:
    plan = FilePlan(target, target, Change.ADDED, Status.SKIPPED)
    template_path = template_dir / target
    if (reason := rules.refusal(target, project_dir)) is not None:
        plan.reason = reason
    elif not rules.inside(template_root, template_path):
        plan.reason = "outside the template"
    elif not include:
        plan.reason = "new in the project; pass --include-new to add it to the template"
    elif template_path.exists():
        content = (project_dir / target).read_bytes()
        if template_path.is_file() and template_path.read_bytes() == content:
            plan.reason = "already in the template"
        else:
            plan.status = Status.CONFLICT
            plan.reason = "the template has a different file at this path"
    else:
        plan.status, plan.new = Status.APPLY, (project_dir / target).read_bytes()
    return plan
