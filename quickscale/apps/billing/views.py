from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from quickscale.apps.billing import stripe_api
from quickscale.apps.billing.models import Offer
from quickscale.apps.billing.selectors import (
    invoices_list,
    plan_get,
    pricing_get,
    purchase_for_checkout,
    purchases_list,
)
from quickscale.apps.billing.services import (
    AlreadySubscribedError,
    BillingError,
    checkout_start,
    portal_start,
)
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.orgs.current import current_membership, membership_required
from quickscale.apps.orgs.policy import Action, can
from quickscale.middleware import htmx_swap


def _external(url: str) -> HttpResponse:
    """A 303 from the form's POST to Stripe's page (the CSP's form-action allows its origin)."""
    return HttpResponseRedirect(url, status=303)


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    """Public: what can be bought, from the offers synced from Stripe."""
    membership = current_membership(request)
    context = {
        "configured": stripe_api.configured(),
        "pricing": pricing_get(),
        "interval": "year" if request.GET.get("interval") == "year" else "month",
        "can_buy": can(membership, Action.MANAGE_BILLING),
        "membership": membership,
        "plan": plan_get(membership.organization)
        if membership and stripe_api.configured()
        else None,
    }
    return render(request, "pages/pricing.html", context)


@login_required
@require_GET
def billing_overview(request: HttpRequest) -> HttpResponse:
    """The organization's plan, renewal, invoices, purchases and balance: owners only."""
    membership = membership_required(request, Action.MANAGE_BILLING)
    organization = membership.organization
    configured = stripe_api.configured()
    context = {
        "configured": configured,
        "organization": organization,
        "balance": credit_balance_get(organization=organization),
        "plan": plan_get(organization) if configured else None,
        "invoices": invoices_list(organization) if configured else [],
        "purchases": purchases_list(organization),
    }
    return render(request, "pages/billing.html", context)


@login_required
@require_POST
def checkout(request: HttpRequest, price_id: str) -> HttpResponse:
    membership = membership_required(request, Action.MANAGE_BILLING)
    if not stripe_api.configured():
        messages.error(request, stripe_api.BillingNotConfiguredError.message)
        return redirect("pricing")
    offer = Offer.objects.filter(price_id=price_id).first()
    if offer is None:
        raise Http404("No such offer.")
    success = request.build_absolute_uri(reverse("billing_success"))
    try:
        url = checkout_start(
            membership=membership,
            offer=offer,
            success_url=f"{success}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=request.build_absolute_uri(reverse("billing_cancelled")),
        )
    except AlreadySubscribedError as error:
        messages.info(request, error.message)
        return redirect("billing_overview")
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("pricing")
    return _external(url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    membership = membership_required(request, Action.MANAGE_BILLING)
    if not stripe_api.configured():
        messages.error(request, stripe_api.BillingNotConfiguredError.message)
        return redirect("billing_overview")
    try:
        url = portal_start(
            membership=membership,
            return_url=request.build_absolute_uri(reverse("billing_overview")),
        )
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("billing_overview")
    return _external(url)


@login_required
@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    """Back from Checkout. Grants nothing: the credits come with Stripe's webhook, which this
    page waits for (htmx asks again every two seconds)."""
    membership = membership_required(request, Action.VIEW)
    session_id = request.GET.get("session_id", "")[:255]
    purchase = purchase_for_checkout(membership.organization, session_id) if session_id else None
    context = {
        "purchase": purchase,
        "session_id": session_id,
        "balance": credit_balance_get(organization=membership.organization),
    }
    if htmx_swap(request):
        return render(request, "fragments/billing_arrival.html", context)
    return render(request, "pages/billing_success.html", context)


@login_required
@require_GET
def checkout_cancelled(request: HttpRequest) -> HttpResponse:
    membership_required(request, Action.VIEW)
    return render(request, "pages/billing_cancelled.html")
