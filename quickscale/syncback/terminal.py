"""The terminal's translation of a sync-back run: what `quickscale sync-back` and
`manage.py quickscale_syncback` print, and the exit code they end with. One table for both,
since the command is documented as the CLI run inside the project."""

from __future__ import annotations

import json

from quickscale.exceptions import ExitCode
from quickscale.messages import Console
from quickscale.syncback.plan import Plan
from quickscale.syncback.run import RunResult


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


def syncback_report(result: RunResult, console: Console, *, as_json: bool = False) -> ExitCode:
    """Print the run; return 0 done, 1 for --check with pending changes, 9 for an apply that
    left conflicts or files that need review."""
    if as_json:
        console.plain(json.dumps(result.as_dict(), indent=2))
    if result.mode == "adopt":
        if not as_json:
            console.success(
                f"Recorded the current template as this project's base in {result.manifest}."
            )
        return ExitCode.OK
    assert result.plan is not None
    if not as_json:
        _print_plan(result.plan, console, diffs=result.mode == "preview")
    if result.mode == "check":
        return ExitCode.ERROR if result.pending else ExitCode.OK
    if result.mode == "apply":
        if not as_json:
            if result.written:
                console.success(
                    f"Wrote {len(result.written)} file(s) into {result.plan.template_dir}."
                )
            if result.commit:
                console.success(f"Committed {result.commit[:12]}.")
            if result.unresolved:
                console.warning(
                    f"{len(result.unresolved)} file(s) need a person: see their reasons above."
                )
        return ExitCode.SYNC_INCOMPLETE if result.unresolved else ExitCode.OK
    if result.preview_only and not as_json:
        console.info("QuickScale is installed as a package: this is a preview only.")
    return ExitCode.OK
