"""Writing a plan into the template: all selected files or none."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from quickscale.exceptions import SyncBackError
from quickscale.syncback import rules
from quickscale.syncback.plan import Change, FilePlan, Plan
from quickscale.syncback.versions import SWITCH_TO_CHECKOUT, TemplateHistory


@dataclass
class ApplyResult:
    written: list[FilePlan] = field(default_factory=list)
    commit: str | None = None


def _staged_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.quickscale-{uuid.uuid4().hex[:8]}")


def plan_apply(
    plan: Plan,
    *,
    selected: Iterable[str] | None = None,
    force: bool = False,
    commit: bool = False,
    project_title: str = "",
) -> ApplyResult:
    """Write the selected actionable files into the template; on any failure, restore every
    file already written and raise SyncBackError."""
    if plan.checkout is None:
        raise SyncBackError(
            "QuickScale is installed as a package here, so sync-back can preview but not apply.",
            hint=f"To apply, work from a checkout: {SWITCH_TO_CHECKOUT}.",
        )
    wanted = set(selected) if selected is not None else None
    files = [f for f in plan.actionable if wanted is None or f.path in wanted]
    if not files:
        return ApplyResult()
    history = TemplateHistory(plan.checkout, None)
    targets = {f.path: plan.template_dir / f.source for f in files}
    for file in files:
        target = targets[file.path]
        if not rules.inside(plan.template_dir.resolve(), target) or target.is_symlink():
            raise SyncBackError(f"Refusing to write {file.source}: it is outside the template.")
    dirty = [f.source for f in files if history.dirty(f.source)]
    if dirty and not force:
        raise SyncBackError(
            "These template files have uncommitted changes: " + ", ".join(dirty) + ".",
            hint="Commit or stash them first, or pass --force to overwrite them.",
        )
    _write_all(files, targets)
    result = ApplyResult(written=files)
    if commit:
        result.commit = _commit(plan, files, project_title)
    return result


def _write_all(files: list[FilePlan], targets: dict[str, Path]) -> None:
    staged: dict[str, Path] = {}
    originals: dict[str, bytes | None] = {}
    done: list[FilePlan] = []
    try:
        for file in files:
            target = targets[file.path]
            originals[file.path] = target.read_bytes() if target.is_file() else None
            if file.change != Change.DELETED:
                assert file.new is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                staged[file.path] = _staged_name(target)
                staged[file.path].write_bytes(file.new)
        for file in files:
            target = targets[file.path]
            if file.change == Change.DELETED:
                os.remove(target)
            else:
                os.replace(staged[file.path], target)
                del staged[file.path]
            done.append(file)
    except OSError as error:
        for file in reversed(done):
            original = originals[file.path]
            target = targets[file.path]
            if original is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(original)
        for leftover in staged.values():
            leftover.unlink(missing_ok=True)
        raise SyncBackError(
            f"Writing the template failed ({error.strerror or error}); every file is as it was.",
            hint="Fix the cause (permissions, disk space) and apply again.",
        ) from error


def _commit(plan: Plan, files: list[FilePlan], project_title: str) -> str:
    assert plan.checkout is not None
    repo = TemplateHistory(plan.checkout, None).repo
    assert repo is not None
    prefix = plan.checkout.template_prefix
    removed = [f"{prefix}/{f.source}" for f in files if f.change == Change.DELETED]
    written = [f"{prefix}/{f.source}" for f in files if f.change != Change.DELETED]
    if written:
        repo.index.add(written)
    if removed:
        repo.index.remove(removed)
    name = plan.context.get("project_name", "")
    title = project_title or plan.context.get("project_title", "") or name
    message = f"Sync back from {title} ({name})\n\n" + "\n".join(
        f"- {f.change.value}: {f.source}" for f in files
    )
    return str(repo.index.commit(message).hexsha)
