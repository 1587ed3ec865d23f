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

from quickscale.conf import app_settings
from quickscale.exceptions import QuickscaleError
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.syncback.apply import plan_apply
from quickscale.syncback.plan import Plan, plan_build
from quickscale.syncback.validate import plan_validate

View = Callable[..., HttpResponse]

DIFF_CONTEXT_LINES = 3
TEMPLATES = "quickscale/admin_ui/"


def template_dir() -> Path:
    configured = app_settings.TEMPLATE_DIR
    return Path(configured) if configured else TEMPLATE_DIR


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


def _plan(request: HttpRequest) -> Plan:
    source = request.POST if request.method == "POST" else request.GET
    plan = plan_build(
        project_dir=Path(settings.BASE_DIR),  # type: ignore[misc]
        template_dir=template_dir(),
        include_new=source.get("include_new") == "on",
        include_deleted=source.get("include_deleted") == "on",
    )
    plan_validate(plan, engine=engines["django"].engine)  # type: ignore[attr-defined]
    return plan


def _context(request: HttpRequest, title: str, **extra: object) -> dict[str, object]:
    source = request.POST if request.method == "POST" else request.GET
    return {
        **admin.site.each_context(request),
        "title": title,
        "include_new": source.get("include_new") == "on",
        "include_deleted": source.get("include_deleted") == "on",
        **extra,
    }


@require_GET
def review(request: HttpRequest) -> HttpResponse:
    _guard(request)
    try:
        plan = _plan(request)
    except QuickscaleError as error:
        return TemplateResponse(
            request, TEMPLATES + "error.html", _context(request, "Sync-back", error=error)
        )
    return TemplateResponse(
        request, TEMPLATES + "review.html", _context(request, "Sync-back", plan=plan)
    )


@require_GET
def diff(request: HttpRequest) -> HttpResponse:
    _guard(request)
    wanted = request.GET.get("file", "")
    file = next((f for f in _plan(request).files if f.path == wanted), None)
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
    plan = _plan(request)
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
    plan = _plan(request)
    selected = request.POST.getlist("file")
    try:
        result = plan_apply(plan, selected=selected, force=request.POST.get("force") == "on")
    except QuickscaleError as error:
        return TemplateResponse(
            request,
            TEMPLATES + "error.html",
            _context(request, "Sync-back", error=error),
            status=409,
        )
    return TemplateResponse(
        request,
        TEMPLATES + "result.html",
        _context(request, "Sync-back applied", plan=plan, written=result.written),
    )
