from __future__ import annotations

from quickscale.apps.orgs.models import Organization
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.pagination import KeysetPage, keyset_page


def service_runs_page(
    *, organization: Organization, before: int | None = None, after: int | None = None, size: int
) -> KeysetPage[ServiceRun]:
    """One page of an organization's service runs, newest first, by keyset (as the credit
    history), with who ran each."""
    rows = ServiceRun.objects.filter(organization=organization).select_related("api_key", "user")
    return keyset_page(rows, before=before, after=after, size=size)


def services_enabled() -> list[BaseService]:
    """The registered services operators have not switched off, by name."""
    off = set(ServiceConfig.objects.filter(enabled=False).values_list("name", flat=True))
    return [service for service in registry if service.name not in off]
