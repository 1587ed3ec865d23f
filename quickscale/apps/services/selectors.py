from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.pagination import KeysetPage, keyset_page


def service_runs_page(
    *, user: User, before: int | None = None, after: int | None = None, size: int
) -> KeysetPage[ServiceRun]:
    """One page of a user's service runs, newest first, by keyset (as the credit history)."""
    rows = ServiceRun.objects.filter(user=user).select_related("api_key")
    return keyset_page(rows, before=before, after=after, size=size)


def services_enabled() -> list[BaseService]:
    """The registered services operators have not switched off, by name."""
    off = set(ServiceConfig.objects.filter(enabled=False).values_list("name", flat=True))
    return [service for service in registry if service.name not in off]
