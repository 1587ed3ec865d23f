"""Reads of API keys: always one organization's own rows."""

from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Organization


def api_keys_list(*, organization: Organization) -> list[ApiKey]:
    """Every key of the organization, with who made it, newest first."""
    return list(
        ApiKey.objects.filter(organization=organization)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def api_key_get(*, organization: Organization, pk: int) -> ApiKey | None:
    """The organization's key `pk`; None for a key that does not exist or is another's."""
    return ApiKey.objects.filter(organization=organization, pk=pk).select_related("user").first()


def api_keys_made_by(*, organization: Organization, user: User) -> list[ApiKey]:
    """The active keys `user` made in the organization (what removing them revokes)."""
    return list(
        ApiKey.objects.filter(organization=organization, user=user, revoked_at__isnull=True)
    )
