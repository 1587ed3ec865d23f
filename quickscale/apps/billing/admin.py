"""Billing in Django's admin: offers (Stripe is their source: resync, never edit), purchases
with their refunds, and customers with their organization, plan and balance. Webhook
deliveries and their outcome are dj-stripe's "Webhook event triggers"."""

from __future__ import annotations

from typing import Any

import stripe
from django.contrib import admin, messages
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from quickscale.admin_ui.bounded import BoundedInputAdmin
from quickscale.apps.billing.models import BillingCustomer, Offer, Purchase
from quickscale.apps.billing.offers import offers_sync
from quickscale.apps.billing.selectors import plan_get
from quickscale.apps.billing.stripe_api import BillingNotConfiguredError
from quickscale.apps.credits.rules import spendable_q


class ReadOnly(BoundedInputAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Resync every offer from Stripe")
def resync(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[type-arg]
    try:
        report = offers_sync()
    except (BillingNotConfiguredError, stripe.StripeError) as error:
        modeladmin.message_user(request, f"Nothing synced: {error}", messages.ERROR)
        return
    modeladmin.message_user(
        request,
        f"Offers synced from Stripe: {len(report.created)} new, {len(report.updated)} changed, "
        f"{len(report.deactivated)} withdrawn.",
        messages.SUCCESS,
    )
    for problem in report.problems:
        modeladmin.message_user(request, f"Not offered: {problem}", messages.WARNING)


@admin.register(Offer)
class OfferAdmin(ReadOnly):
    list_display = ("name", "kind", "credits", "price_label", "active", "price_id", "synced_at")
    list_filter = ("kind", "active", "interval")
    search_fields = ("name", "price_id", "product_id")
    actions = [resync]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the action; the form itself shows every field read-only.
        return obj is None and super(ReadOnly, self).has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # The resync action works on the whole catalogue: let it run with nothing selected.
        if request.method == "POST" and request.POST.get("action") == "resync":
            post = request.POST.copy()
            post.setlist(
                admin.helpers.ACTION_CHECKBOX_NAME,
                [str(pk) for pk in Offer.objects.values_list("pk", flat=True)[:1]] or ["0"],
            )
            request.POST = post  # type: ignore[assignment]
        return super().changelist_view(request, extra_context)


@admin.register(Purchase)
class PurchaseAdmin(ReadOnly):
    list_display = (
        "created_at",
        "organization",
        "kind",
        "credits",
        "amount_label",
        "amount_refunded",
        "credits_clawed_back",
        "debt",
        "stripe_id",
    )
    list_filter = ("kind",)
    search_fields = ("organization__slug", "organization__name", "stripe_id", "payment_intent_id")
    list_select_related = ("organization", "offer")


@admin.register(BillingCustomer)
class BillingCustomerAdmin(ReadOnly):
    list_display = ("id", "organization", "plan", "balance")
    search_fields = ("id", "subscriber__slug", "subscriber__name")
    list_select_related = ("subscriber",)

    @admin.display(description="organization")
    def organization(self, customer: BillingCustomer) -> Any:
        return customer.subscriber

    @admin.display(description="plan")
    def plan(self, customer: BillingCustomer) -> str:
        if customer.subscriber is None:
            return "—"
        plan = plan_get(customer.subscriber)
        if plan is None:
            return "—"
        name = plan.offer.name if plan.offer else "a plan"
        return f"{name} ({plan.status})"

    def get_queryset(self, request: HttpRequest) -> QuerySet[BillingCustomer]:
        # The credits column in one query, as the credit accounts' list sums it.
        live = spendable_q(timezone.now(), prefix="subscriber__credit_lots__")
        customers: QuerySet[BillingCustomer] = super().get_queryset(request)
        annotated: QuerySet[BillingCustomer] = customers.annotate(
            _spendable=Sum("subscriber__credit_lots__remaining", filter=live)
        )
        return annotated

    @admin.display(description="credits", ordering="_spendable")
    def balance(self, customer: BillingCustomer) -> int | str:
        if customer.subscriber is None:
            return "—"
        return int(customer._spendable or 0)
