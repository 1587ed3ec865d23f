from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.services.models import ServiceRun


def service_runs_page(
    *, user: User, before: int | None = None, size: int = 50
) -> tuple[list[ServiceRun], int | None]:
    """A page of a user's runs, newest first, and the cursor of the next (older) page."""
    runs = ServiceRun.objects.filter(user=user).select_related("api_key").order_by("-id")
    if before is not None:
        runs = runs.filter(id__lt=before)
    window = list(runs[: size + 1])
    page = window[:size]
    return page, page[-1].pk if len(window) > size else None
