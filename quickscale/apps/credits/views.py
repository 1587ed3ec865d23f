from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from quickscale.apps.credits.forms import LedgerFilterForm
from quickscale.apps.credits.selectors import credit_balance_get, ledger_page_get
from quickscale.apps.orgs.current import membership_required
from quickscale.apps.orgs.policy import Action
from quickscale.middleware import htmx_swap

CREDITS_TEMPLATE = "pages/credits.html"
LEDGER_FRAGMENT = "fragments/credit_ledger.html"


@login_required
@require_GET
def credits_overview(request: HttpRequest) -> HttpResponse:
    """The current organization's balance by kind and ledger; HTMX asks for the ledger
    fragment alone."""
    organization = membership_required(request, Action.VIEW).organization
    filters = LedgerFilterForm(request.GET)
    status = 200
    if not filters.is_valid():
        # A filter that was not understood shows everything, and says so with the status.
        filters = LedgerFilterForm({})
        filters.is_valid()
        status = 400
    data = filters.cleaned_data
    kind = data.get("kind") or ""
    context = {
        "ledger": ledger_page_get(
            organization=organization,
            kind=kind or None,
            before=data.get("before"),
            after=data.get("after"),
        ),
        "filters": filters,
        "kind": kind,
    }
    if htmx_swap(request):
        return render(request, LEDGER_FRAGMENT, context, status=status)
    context["balance"] = credit_balance_get(organization=organization)
    return render(request, CREDITS_TEMPLATE, context, status=status)
