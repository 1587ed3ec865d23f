"""The AI services in Django's admin: switch each registered service on or off, and read the
record of every run."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from quickscale.admin_ui.bounded import BoundedInputAdmin
from quickscale.apps.credits.admin import ReadOnlyAdmin
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry


def _configs_for_registered_services() -> None:
    """A service without a row is on; give every registered one a row, so it can be switched."""
    ServiceConfig.objects.bulk_create(
        [ServiceConfig(name=service.name) for service in registry], ignore_conflicts=True
    )


@admin.register(ServiceConfig)
class ServiceConfigAdmin(BoundedInputAdmin):
    list_display = ("name", "enabled", "description", "cost", "registered")
    list_editable = ("enabled",)
    list_filter = ("enabled",)
    search_fields = ("name",)
    fields = ("name", "enabled")
    readonly_fields = ("name",)
    actions = ("enable_selected", "disable_selected")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _configs_for_registered_services()
        return super().changelist_view(request, extra_context)

    @admin.display(description="description")
    def description(self, obj: ServiceConfig) -> str:
        service = registry.get(obj.name)
        return service.description if service else ""

    @admin.display(description="credits per call")
    def cost(self, obj: ServiceConfig) -> int | None:
        service = registry.get(obj.name)
        return service.cost if service else None

    @admin.display(description="registered", boolean=True)
    def registered(self, obj: ServiceConfig) -> bool:
        return registry.get(obj.name) is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the registry

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only the row of a service no longer in the code may go; a registered one is switched off.
        return (
            obj is not None
            and registry.get(obj.name) is None
            and super().has_delete_permission(request, obj)
        )

    @admin.action(description="Switch selected services on", permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[ServiceConfig]) -> None:
        self._switch(request, queryset, enabled=True)

    @admin.action(description="Switch selected services off", permissions=["change"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[ServiceConfig]) -> None:
        self._switch(request, queryset, enabled=False)

    def _switch(
        self, request: HttpRequest, queryset: QuerySet[ServiceConfig], *, enabled: bool
    ) -> None:
        count = queryset.update(enabled=enabled)
        state = "on" if enabled else "off"
        self.message_user(request, f"Switched {count} service(s) {state}.", messages.SUCCESS)


@admin.register(ServiceRun)
class ServiceRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "organization",
        "user",
        "service",
        "status",
        "cost",
        "duration_ms",
        "key_prefix",
    )
    list_filter = ("status", "service", "created_at")
    search_fields = ("organization__slug", "user__email", "api_key__prefix", "idempotency_key")
    list_select_related = ("organization", "user", "api_key")

    @admin.display(description="key", ordering="api_key__prefix")
    def key_prefix(self, obj: ServiceRun) -> str:
        return f"{obj.api_key.prefix}…" if obj.api_key else "—"
