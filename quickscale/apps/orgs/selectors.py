"""Reads of organizations, memberships and invitations."""

from __future__ import annotations

import hashlib

from django.db.models import Q
from django.utils import timezone

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User
from quickscale.apps.orgs.models import Invitation, Membership, Organization

# Tokens are 43 characters (32 random bytes, URL-safe base64); anything much longer is no token.
TOKEN_MAX_LENGTH = 100


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


def member_with_email(*, organization: Organization, email: str) -> Membership | None:
    """The member whose account's address, or one of whose verified addresses, is `email`.
    Addresses are stored in lower case (accounts and allauth both normalize them), so they are
    compared exactly, through the columns' indexes."""
    from allauth.account.models import EmailAddress

    email = email_normalize(email)
    verified = EmailAddress.objects.filter(email=email, verified=True).values("user_id")
    return (
        Membership.objects.filter(organization=organization)
        .filter(Q(user__email=email) | Q(user_id__in=verified))
        .first()
    )


def invitation_token_hash(token: str) -> str:
    """What is stored of an invitation's token. A plain SHA-256: the token is 256 random bits,
    so no salt or slow hash adds anything, and a lookup by hash needs the same hash each time."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _open() -> Q:
    return Q(accepted_at__isnull=True, revoked_at__isnull=True)


def invitations_open(*, organization: Organization) -> list[Invitation]:
    """The organization's invitations not accepted or revoked (expired ones too: they can be
    sent again), last sent first."""
    return list(
        Invitation.objects.filter(_open(), organization=organization)
        .select_related("invited_by")
        .order_by("-sent_at", "-id")
    )


def invitation_get(*, organization: Organization, pk: int) -> Invitation | None:
    """The organization's open invitation `pk`; None for one that is closed or another's."""
    return (
        Invitation.objects.filter(_open(), organization=organization, pk=pk)
        .select_related("organization")
        .first()
    )


def invitation_open_for(*, organization: Organization, email: str) -> Invitation | None:
    return Invitation.objects.filter(_open(), organization=organization, email=email).first()


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation the link's token opens, while it can be accepted; None otherwise
    (unknown, expired, revoked, accepted, or replaced by a newer sending)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Invitation.objects.filter(
            _open(), token_hash=invitation_token_hash(token), expires_at__gt=timezone.now()
        )
        .select_related("organization", "invited_by")
        .first()
    )


def member_get(*, organization: Organization, pk: int) -> Membership | None:
    """The organization's membership `pk`; None for one that does not exist or is another's."""
    membership = (
        Membership.objects.filter(organization=organization, pk=pk).select_related("user").first()
    )
    if membership is not None:
        membership.organization = organization
    return membership
