"""The credits in Django's admin: organizations' accounts with their balance, lots and ledger
(read-only), and operator forms that grant and adjust through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from quickscale.admin_ui.bounded import BoundedInputAdmin
from quickscale.apps.credits import services
from quickscale.apps.credits.forms import AdjustForm, GrantForm, LedgerFilterForm
from quickscale.apps.credits.models import CreditAccount, CreditLot, LedgerEntry
from quickscale.apps.credits.rules import spendable_q
from quickscale.apps.credits.selectors import (
    credit_balance_get,
    credit_lots_live,
    ledger_page_get,
)
from quickscale.exceptions import CreditsError

GRANT_PERMISSION = "quickscale_credits.grant_credits"


class ReadOnlyAdmin(BoundedInputAdmin):
    """The ledger is append-only: nothing here adds, changes or deletes a row."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "organization", "kind", "amount", "description", "actor")
    list_filter = ("kind",)
    search_fields = ("organization__slug", "actor__email", "idempotency_key", "description")
    list_select_related = ("organization", "actor")


@admin.register(CreditLot)
class CreditLotAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "kind",
        "amount",
        "remaining",
        "expires_at",
        "source_type",
    )
    list_filter = ("kind", "source_type")
    search_fields = ("organization__slug", "source_id")
    list_select_related = ("organization",)


@admin.register(CreditAccount)
class CreditAccountAdmin(BoundedInputAdmin):
    list_display = ("name", "slug", "kind", "spendable_credits")
    list_filter = ("kind",)
    search_fields = ("name", "slug", "memberships__user__email")
    ordering = ("name", "id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditAccount]:
        live = spendable_q(timezone.now(), prefix="credit_lots__")
        accounts: QuerySet[CreditAccount] = super().get_queryset(request)
        return accounts.annotate(_spendable=Sum("credit_lots__remaining", filter=live))

    @admin.display(description="credits", ordering="_spendable")
    def spendable_credits(self, obj: Any) -> int:
        return int(obj._spendable or 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:object_id>/grant/",
                self.admin_site.admin_view(self.grant_view),
                name="quickscale_credits_creditaccount_grant",
            ),
            path(
                "<int:object_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="quickscale_credits_creditaccount_adjust",
            ),
        ]
        return own + super().get_urls()

    def _account(self, request: HttpRequest, object_id: str | int) -> CreditAccount:
        account = get_object_or_404(CreditAccount, pk=object_id)
        if not self.has_view_permission(request, account):
            raise PermissionDenied
        return account

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        account = self._account(request, object_id)
        filters = LedgerFilterForm(request.GET)
        kind = before = after = None
        if filters.is_valid():
            kind = filters.cleaned_data["kind"] or None
            before = filters.cleaned_data["before"]
            after = filters.cleaned_data["after"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Credits of {account.name}",
            "account": account,
            "balance": credit_balance_get(organization=account),
            "lots": credit_lots_live(organization=account),
            "ledger": ledger_page_get(organization=account, kind=kind, before=before, after=after),
            "filters": filters,
            "kind": kind or "",
            "can_grant": request.user.has_perm(GRANT_PERMISSION),
        }
        return TemplateResponse(
            request, "admin/quickscale_credits/creditaccount/detail.html", context
        )

    def grant_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._operator_view(request, object_id, GrantForm, "Grant credits")

    def adjust_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._operator_view(request, object_id, AdjustForm, "Adjust credits")

    def _operator_view(
        self,
        request: HttpRequest,
        object_id: int,
        form_class: type[GrantForm] | type[AdjustForm],
        title: str,
    ) -> HttpResponse:
        account = self._account(request, object_id)
        if not request.user.has_perm(GRANT_PERMISSION):
            raise PermissionDenied
        form = form_class(request.POST) if request.method == "POST" else form_class()
        if request.method == "POST" and form.is_valid():
            try:
                entry = self._apply(form, account, request)
            except CreditsError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"{entry.get_kind_display()} of {entry.amount:+d} credits recorded.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:quickscale_credits_creditaccount_change", args=[account.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{title} for {account.name}",
            "account": account,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/quickscale_credits/creditaccount/form.html", context
        )

    def _apply(
        self, form: GrantForm | AdjustForm, account: CreditAccount, request: HttpRequest
    ) -> LedgerEntry:
        data = form.cleaned_data
        actor = request.user if request.user.is_authenticated else None
        if isinstance(form, GrantForm):
            return services.credits_grant(
                organization=account,
                amount=data["amount"],
                kind=data["kind"],
                expires_at=data["expires_at"],
                idempotency_key=data["idempotency_key"],
                source_type="admin",
                description=data["reason"],
                actor=actor,
            )
        return services.credits_adjust(
            organization=account,
            amount=data["amount"],
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
            actor=actor,
        )
