"""Reads for the key management and usage pages: always one user's own rows."""

from __future__ import annotations

from dataclasses import dataclass

from quickscale.apps.accounts.models import User
from quickscale.apps.api.models import ApiKey
from quickscale.apps.services.models import ServiceRun
from quickscale.pagination import keyset_page

USAGE_PAGE_SIZE = 25


def api_keys_list(*, user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-created_at", "-id"))


def api_key_get(*, user: User, pk: int) -> ApiKey | None:
    """The user's key `pk`; None for a key that does not exist or is someone else's."""
    return ApiKey.objects.filter(user=user, pk=pk).first()


@dataclass(frozen=True)
class UsagePage:
    runs: list[ServiceRun]
    older: int | None  # pass as `before` for the next page back in time
    newer: int | None  # pass as `after` for the page nearer now


def usage_page_get(
    *,
    user: User,
    before: int | None = None,
    after: int | None = None,
    size: int = USAGE_PAGE_SIZE,
) -> UsagePage:
    """One page of a user's service runs, newest first, by keyset (as the credit history)."""
    page = keyset_page(
        ServiceRun.objects.filter(user=user).select_related("api_key"),
        before=before,
        after=after,
        size=size,
    )
    return UsagePage(runs=page.items, older=page.older, newer=page.newer)
