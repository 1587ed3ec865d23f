"""API keys in Django's admin: listed and filtered, never their secrets; created through
`api_key_create` (the token shown once, on the page that answers the form) and revoked through
`api_key_revoke`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from quickscale.admin_ui.bounded import BoundedInputAdmin
from quickscale.apps.api.forms import AdminApiKeyCreateForm
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from quickscale.exceptions import ApiKeyError

ADD_TEMPLATE = "admin/quickscale_api/apikey/add.html"
CREATED_TEMPLATE = "admin/quickscale_api/apikey/created.html"
REVOKE_PERMISSION = "quickscale_keys.change_apikey"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        lapsed = Q(expires_at__isnull=False, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(lapsed, revoked_at__isnull=True)
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True).exclude(lapsed)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(BoundedInputAdmin):
    list_display = (
        "prefix",
        "name",
        "organization",
        "user",
        "key_status",
        "created_at",
        "last_used_at",
        "expires_at",
    )
    list_filter = (StatusFilter,)
    search_fields = ("prefix", "name", "organization__slug", "user__email")
    list_select_related = ("organization", "user")
    show_full_result_count = False
    # The hash is left out too: it is of no use to an operator.
    fields = (
        "organization",
        "user",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ("revoke_selected",)

    @admin.display(description="status")
    def key_status(self, obj: ApiKey) -> str:
        return obj.status().capitalize()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are revoked, not edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a revoked key keeps the history of the calls it made

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVOKE_PERMISSION)

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key)
            revoked += 1
        self.message_user(
            request, f"Revoked {revoked} key{'s' if revoked != 1 else ''}.", messages.SUCCESS
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AdminApiKeyCreateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                new_key = api_key_create(
                    organization=data["organization"],
                    user=data["user"],
                    name=data["name"],
                    expires_at=data["expires_at"],
                    scopes=data["scopes"],
                )
            except ApiKeyError as error:
                form.add_error(None, error.message)
            else:
                self.log_addition(request, new_key.key, [{"added": {}}])
                context = {**self._context(request, "API key created"), "new_key": new_key}
                return TemplateResponse(request, CREATED_TEMPLATE, context)
        context = {**self._context(request, "Add API key"), "form": form}
        return TemplateResponse(request, ADD_TEMPLATE, context)

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}
