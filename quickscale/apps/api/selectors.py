"""Reads for the key management and usage pages: always one user's own rows."""

from __future__ import annotations

from dataclasses import dataclass

from quickscale.apps.accounts.models import User
from quickscale.apps.api.models import ApiKey
from quickscale.apps.services.models import ServiceRun

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
    base = ServiceRun.objects.filter(user=user).select_related("api_key")
    if after is not None:
        window = list(base.filter(id__gt=after).order_by("id")[: size + 1])
        page = list(reversed(window[:size]))
        has_newer = len(window) > size
        has_older = bool(page) and base.filter(id__lt=page[-1].pk).exists()
    else:
        newest_first = base.filter(id__lt=before) if before is not None else base
        window = list(newest_first.order_by("-id")[: size + 1])
        page = window[:size]
        has_older = len(window) > size
        has_newer = before is not None and bool(page) and base.filter(id__gt=page[0].pk).exists()
    return UsagePage(
        runs=page,
        older=page[-1].pk if page and has_older else None,
        newer=page[0].pk if page and has_newer else None,
    )
