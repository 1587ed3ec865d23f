"""Reads for the key management pages: always one user's own rows."""

from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.api.models import ApiKey


def api_keys_list(*, user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-created_at", "-id"))


def api_key_get(*, user: User, pk: int) -> ApiKey | None:
    """The user's key `pk`; None for a key that does not exist or is someone else's."""
    return ApiKey.objects.filter(user=user, pk=pk).first()
