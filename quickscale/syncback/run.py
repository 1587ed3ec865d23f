"""One sync-back run, shared by `quickscale sync-back` and `manage.py quickscale_syncback`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.template import Engine

from quickscale.exceptions import ExitCode, SyncBackError
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.messages import Console
from quickscale.syncback.adopt import project_adopt
from quickscale.syncback.apply import plan_apply
from quickscale.syncback.plan import ACTIONABLE, Plan, Status, plan_build
from quickscale.syncback.validate import plan_validate

MODES = ("preview", "apply", "check", "adopt")


@dataclass
class Options:
    project_dir: Path
    mode: str = "preview"
    include_new: bool = False
    include_deleted: bool = False
    only: Sequence[str] = field(default_factory=list)
    as_json: bool = False
    force: bool = False
    commit: bool = False
    template_dir: Path = TEMPLATE_DIR


def project_engine(project_dir: Path, package: str) -> Engine:
    """The project's own template engine, so its tag libraries are known when checking."""
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(project_dir))
        os.environ["DJANGO_SETTINGS_MODULE"] = f"{package}.settings"
        try:
            import django

            django.setup()
        except Exception as error:
            raise SyncBackError(
                f"The project's settings could not be loaded to check its templates: {error}",
                hint="Run sync-back from the project's virtual environment, "
                "or run python manage.py quickscale_syncback in the project.",
            ) from error
    from django.template import engines

    engine: Engine = engines["django"].engine  # type: ignore[attr-defined]
    return engine


def _print_plan(plan: Plan, console: Console, *, diffs: bool) -> None:
    if not plan.files:
        console.success("The project holds no changes that are not in the template.")
        return
    width = max(len(f.path) for f in plan.files)
    for file in plan.files:
        note = f"  ({file.reason})" if file.reason else ""
        console.plain(f"{file.status.value:<13}{file.change.value:<9}{file.path:<{width}}{note}")
    if diffs:
        for file in plan.files:
            if file.diff:
                console.plain("")
                console.plain(file.diff.rstrip("\n"))


def syncback_run(
    options: Options, *, console: Console, engine: Callable[[Plan], Engine] | None = None
) -> int:
    if options.mode == "adopt":
        path = project_adopt(project_dir=options.project_dir, template_dir=options.template_dir)
        console.success(f"Recorded the current template as this project's base in {path}.")
        return ExitCode.OK
    plan = plan_build(
        project_dir=options.project_dir,
        template_dir=options.template_dir,
        include_new=options.include_new,
        include_deleted=options.include_deleted,
        only=options.only,
    )
    if any(f.status in ACTIONABLE for f in plan.files):
        make_engine = engine or (lambda p: project_engine(p.project_dir, p.context["project_name"]))
        plan_validate(plan, engine=make_engine(plan))
    written: list[str] = []
    commit = None
    if options.mode == "apply":
        result = plan_apply(plan, force=options.force, commit=options.commit)
        written = [f.path for f in result.written]
        commit = result.commit
    if options.as_json:
        data = plan.as_dict()
        if options.mode == "apply":
            data["written"] = written
            data["commit"] = commit
        console.plain(json.dumps(data, indent=2))
    else:
        _print_plan(plan, console, diffs=options.mode == "preview")
    pending = [f for f in plan.pending if f.path not in written]
    if options.mode == "check":
        return ExitCode.ERROR if pending else ExitCode.OK
    if options.mode == "apply":
        if not options.as_json:
            if written:
                console.success(f"Wrote {len(written)} file(s) into {plan.template_dir}.")
            if commit:
                console.success(f"Committed {commit[:12]}.")
        left = [f for f in pending if f.status in (Status.CONFLICT, Status.NEEDS_REVIEW)]
        if left:
            if not options.as_json:
                console.warning(f"{len(left)} file(s) need a person: see their reasons above.")
            return ExitCode.SYNC_INCOMPLETE
        return ExitCode.OK
    if plan.checkout is None and plan.actionable and not options.as_json:
        console.info("QuickScale is installed as a package: this is a preview only.")
    return ExitCode.OK
