"""One sync-back run, for every face: `quickscale sync-back`, `manage.py quickscale_syncback`
and the admin panel. It returns what happened and raises QuickscaleError; each face owns the
one translation of that into output and an exit code or an HTTP status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template import Engine

from quickscale.syncback.adopt import project_adopt
from quickscale.syncback.apply import plan_apply
from quickscale.syncback.location import project_settings_load, template_dir_resolve
from quickscale.syncback.plan import ACTIONABLE, FilePlan, Plan, Status, plan_build
from quickscale.syncback.validate import plan_validate

MODES = ("preview", "apply", "check", "adopt")


@dataclass
class Options:
    project_dir: Path
    mode: str = "preview"
    include_new: bool = False
    include_deleted: bool = False
    only: Sequence[str] = field(default_factory=list)
    # Apply only these project files (None: every actionable one).
    selected: Sequence[str] | None = None
    force: bool = False
    commit: bool = False
    # None: as template_dir_resolve() answers, the same for every face.
    template_dir: Path | None = None


@dataclass
class RunResult:
    mode: str
    template_dir: Path
    plan: Plan | None = None  # None for adopt
    written: list[FilePlan] = field(default_factory=list)
    commit: str | None = None
    manifest: Path | None = None  # adopt: the manifest written

    @property
    def pending(self) -> list[FilePlan]:
        """Changes the template still lacks after this run."""
        written = {f.path for f in self.written}
        return [f for f in self.plan.pending if f.path not in written] if self.plan else []

    @property
    def unresolved(self) -> list[FilePlan]:
        """Pending files that need a person: conflicts and files that cannot be mapped back."""
        return [f for f in self.pending if f.status in (Status.CONFLICT, Status.NEEDS_REVIEW)]

    @property
    def preview_only(self) -> bool:
        return self.plan is not None and self.plan.checkout is None and bool(self.plan.actionable)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = (
            self.plan.as_dict() if self.plan else {"template": str(self.template_dir)}
        )
        data["pending"] = [f.path for f in self.pending]
        if self.mode == "apply":
            data["written"] = [f.path for f in self.written]
            data["commit"] = self.commit
        if self.manifest is not None:
            data["manifest"] = str(self.manifest)
        return data


def project_engine(project_dir: Path) -> Engine:
    """The project's own template engine, so its tag libraries are known when checking."""
    project_settings_load(project_dir)
    from django.template import engines

    engine: Engine = engines["django"].engine  # type: ignore[attr-defined]
    return engine


def syncback_run(options: Options, *, engine: Callable[[Plan], Engine] | None = None) -> RunResult:
    template_dir = options.template_dir or template_dir_resolve()
    if options.mode == "adopt":
        path = project_adopt(project_dir=options.project_dir, template_dir=template_dir)
        return RunResult(mode="adopt", template_dir=template_dir, manifest=path)
    plan = plan_build(
        project_dir=options.project_dir,
        template_dir=template_dir,
        include_new=options.include_new,
        include_deleted=options.include_deleted,
        only=options.only,
    )
    if any(f.status in ACTIONABLE for f in plan.files):
        make_engine = engine or (lambda p: project_engine(p.project_dir))
        plan_validate(plan, engine=make_engine(plan))
    result = RunResult(mode=options.mode, template_dir=template_dir, plan=plan)
    if options.mode == "apply":
        applied = plan_apply(
            plan, selected=options.selected, force=options.force, commit=options.commit
        )
        result.written = list(applied.written)
        result.commit = applied.commit
    return result
