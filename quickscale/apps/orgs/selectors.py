"""Reads of organizations and memberships."""

from __future__ import annotations

from quickscale.apps.accounts.models import User
from quickscale.apps.orgs.models import Membership, Organization


def memberships_of(*, user: User) -> list[Membership]:
    """The user's memberships, personal organization first, then teams by name."""
    rows = Membership.objects.filter(user=user).select_related("organization")
    return sorted(rows, key=lambda m: (not m.organization.is_personal, m.organization.name.lower()))


def membership_get(*, user: User, organization_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization_id=organization_id)
        .first()
    )


def membership_by_slug(*, user: User, slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )


def members_list(*, organization: Organization) -> list[Membership]:
    return list(
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("created_at", "id")
    )


def organization_by_slug(*, slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def personal_organization_get(*, user: User) -> Organization | None:
    return Organization.objects.filter(personal_owner=user).first()
