"""The sync-back diff-review panel, inside Django's admin: superusers, development only."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from quickscale.exceptions import QuickscaleError
from quickscale.syncback.run import Options, RunResult, syncback_run

View = Callable[..., HttpResponse]

DIFF_CONTEXT_LINES = 3
TEMPLATES = "quickscale/admin_ui/"
# The panel's one translation of the engine's errors: the request cannot be carried out in
# the project's or the template's present state (no manifest, an installed package, files with
# uncommitted changes, a failed write).
ERROR_STATUS = 409


def panel_available() -> bool:
    # Like every visual tool: development only. A checkout on a production server (which the
    # generated requirements.txt allows) must not turn the admin into a template writer.
    return bool(settings.DEBUG)


def development_only(view: View) -> View:
    """404 with DEBUG off, before the admin's log-in redirect says that the page exists."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not panel_available():
            raise Http404("Sync-back is available in development only (DEBUG on).")
        return view(request, *args, **kwargs)

    return wrapped


def _guard(request: HttpRequest) -> None:
    if not panel_available():
        raise Http404("Sync-back is available in development only (DEBUG on).")
    if not request.user.is_superuser:
        raise PermissionDenied


def _run(request: HttpRequest, *, mode: str = "preview") -> RunResult:
    source = request.POST if request.method == "POST" else request.GET
    return syncback_run(
        Options(
            project_dir=Path(settings.BASE_DIR),  # type: ignore[misc]
            mode=mode,
            include_new=source.get("include_new") == "on",
            include_deleted=source.get("include_deleted") == "on",
            selected=request.POST.getlist("file") if mode == "apply" else None,
            force=request.POST.get("force") == "on",
        ),
        engine=lambda plan: engines["django"].engine,  # type: ignore[attr-defined]
    )


def _context(request: HttpRequest, title: str, **extra: object) -> dict[str, object]:
    source = request.POST if request.method == "POST" else request.GET
    return {
        **admin.site.each_context(request),
        "title": title,
        "include_new": source.get("include_new") == "on",
        "include_deleted": source.get("include_deleted") == "on",
        **extra,
    }


def _refused(request: HttpRequest, error: QuickscaleError) -> HttpResponse:
    return TemplateResponse(
        request,
        TEMPLATES + "error.html",
        _context(request, "Sync-back", error=error),
        status=ERROR_STATUS,
    )


@require_GET
def review(request: HttpRequest) -> HttpResponse:
    _guard(request)
    try:
        result = _run(request)
    except QuickscaleError as error:
        return _refused(request, error)
    return TemplateResponse(
        request,
        TEMPLATES + "review.html",
        _context(request, "Sync-back", result=result, plan=result.plan),
    )


@require_GET
def diff(request: HttpRequest) -> HttpResponse:
    _guard(request)
    wanted = request.GET.get("file", "")
    try:
        plan = _run(request).plan
    except QuickscaleError as error:
        return _refused(request, error)
    assert plan is not None
    file = next((f for f in plan.files if f.path == wanted), None)
    if file is None:
        raise Http404("No such changed file.")
    table = ""
    if file.new is not None or file.change.value == "deleted":
        before = (file.current or b"").decode("utf-8", "replace").splitlines()
        after = (file.new or b"").decode("utf-8", "replace").splitlines()
        table = difflib.HtmlDiff(wrapcolumn=80).make_table(
            before,
            after,
            "template now",
            "after sync-back",
            context=True,
            numlines=DIFF_CONTEXT_LINES,
        )
    return TemplateResponse(request, TEMPLATES + "diff.html", {"file": file, "table": table})


@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    _guard(request)
    try:
        plan = _run(request).plan
    except QuickscaleError as error:
        return _refused(request, error)
    assert plan is not None
    selected = set(request.POST.getlist("file"))
    files = [f for f in plan.actionable if f.path in selected]
    if not files:
        return redirect("quickscale_admin_ui:sync_back")
    return TemplateResponse(
        request,
        TEMPLATES + "confirm.html",
        _context(request, "Apply sync-back?", plan=plan, files=files),
    )


@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    _guard(request)
    try:
        result = _run(request, mode="apply")
    except QuickscaleError as error:
        return _refused(request, error)
    return TemplateResponse(
        request,
        TEMPLATES + "result.html",
        _context(
            request, "Sync-back applied", result=result, plan=result.plan, written=result.written
        ),
    )
