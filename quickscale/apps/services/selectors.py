from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.services.models import ServiceRun
from quickscale.pagination import keyset_page


def service_runs_page(
    *, user: User, before: int | None = None, size: int = 50
) -> tuple[list[ServiceRun], int | None]:
    """A page of a user's runs, newest first, and the cursor of the next (older) page."""
    rows = ServiceRun.objects.filter(user=user).select_related("api_key")
    page = keyset_page(rows, before=before, size=size)
    return page.items, page.older
