"""Reads of API keys: always one organization's own rows."""

from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Membership, Organization


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


def api_key_makers(*, keys: list[ApiKey]) -> dict[int, Membership]:
    """The memberships of the people who made `keys` (one organization's), by key id; a key
    whose maker has left is missing."""
    organizations = {key.organization_id for key in keys}
    memberships = {
        (m.organization_id, m.user_id): m
        for m in Membership.objects.filter(organization_id__in=organizations)
    }
    return {
        key.pk: memberships[key.organization_id, key.user_id]
        for key in keys
        if (key.organization_id, key.user_id) in memberships
    }
