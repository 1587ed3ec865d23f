from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.pagination import keyset_page


def service_runs_page(
    *, user: User, before: int | None = None, size: int = 50
) -> tuple[list[ServiceRun], int | None]:
    """A page of a user's runs, newest first, and the cursor of the next (older) page."""
    rows = ServiceRun.objects.filter(user=user).select_related("api_key")
    page = keyset_page(rows, before=before, size=size)
    return page.items, page.older


def services_enabled() -> list[BaseService]:
    """The registered services operators have not switched off, by name."""
    off = set(ServiceConfig.objects.filter(enabled=False).values_list("name", flat=True))
    return [service for service in registry if service.name not in off]
