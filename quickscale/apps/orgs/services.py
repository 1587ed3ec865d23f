"""Writes to organizations and their memberships. Every change of who belongs, and with what
role, runs under a lock on the organization's row, so that two at once cannot take away its
last owner."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from quickscale.apps.accounts.models import User
from quickscale.apps.orgs.models import (
    NAME_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)
from quickscale.apps.orgs.policy import Action, require
from quickscale.exceptions import LastOwnerError, OrganizationError

SLUG_ATTEMPTS = 20


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise OrganizationError("An organization needs a name.", hint="Give it a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise OrganizationError(
            f"An organization's name has at most {NAME_MAX_LENGTH} characters.",
            hint="Choose a shorter name.",
        )
    return name


def _slug_base(name: str) -> str:
    return slugify(name)[: SLUG_MAX_LENGTH - 9].strip("-") or "org"


def _create(*, name: str, kind: str, owner: User, personal_owner: User | None) -> Organization:
    """A new organization with `owner` as its first owner; the slug gets a suffix while taken."""
    base = _slug_base(name)
    for attempt in range(SLUG_ATTEMPTS):
        # The name's slug, then a numbered one, then random suffixes.
        slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        if attempt >= 3:
            slug = f"{base}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, slug=slug, kind=kind, personal_owner=personal_owner
                )
                Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
        except IntegrityError:
            if (
                personal_owner is not None
                and Organization.objects.filter(personal_owner=personal_owner).exists()
            ):
                raise
            continue
        return organization
    raise OrganizationError("Could not find a free address for the organization; try again.")


def organization_personal_ensure(*, user: User) -> Organization:
    """The user's personal organization, made now if they have none (every sign-up, and any
    user made another way: the admin, createsuperuser, a script)."""
    existing = Organization.objects.filter(personal_owner=user).first()
    if existing is not None:
        return existing
    name = user.name.strip() or user.email.split("@", 1)[0]
    try:
        return _create(
            name=f"{name[: NAME_MAX_LENGTH - 11]} (personal)",
            kind=OrganizationKind.PERSONAL,
            owner=user,
            personal_owner=user,
        )
    except IntegrityError:
        # Made at the same moment by another request.
        return Organization.objects.get(personal_owner=user)


@transaction.atomic
def organization_create(*, user: User, name: str) -> Organization:
    """A team with `user` as its owner."""
    return _create(
        name=_clean_name(name), kind=OrganizationKind.TEAM, owner=user, personal_owner=None
    )


@transaction.atomic
def organization_rename(*, membership: Membership, name: str) -> Organization:
    require(membership, Action.MANAGE_ORGANIZATION)
    organization = membership.organization
    organization.name = _clean_name(name)
    organization.save(update_fields=["name"])
    return organization


def organization_lock(organization_id: int) -> Organization:
    """Lock the organization's row for the rest of the transaction: the one lock that orders
    changes to its members and, in the ledger, to its credits."""
    return Organization.objects.select_for_update(no_key=True).get(pk=organization_id)


def _refresh(membership: Membership) -> Membership:
    """The membership as it is now, under the organization's lock; raises when it is gone."""
    current = (
        Membership.objects.select_related("organization", "user").filter(pk=membership.pk).first()
    )
    if current is None:
        raise OrganizationError(f"{membership.user} is no longer a member.")
    return current


def _other_owners(membership: Membership) -> bool:
    return (
        Membership.objects.filter(organization_id=membership.organization_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def _keep_an_owner(target: Membership, what: str) -> None:
    if target.role == Role.OWNER and not _other_owners(target):
        raise LastOwnerError(f"{target.user} is the last owner of {target.organization}: {what}")


@transaction.atomic
def membership_role_change(
    *, actor: Membership | None, target: Membership, role: str
) -> Membership:
    """Give `target` the role `role`. With `actor` (a member), the policy decides whether they
    may; without, the caller is an operator (the admin, a command). Either way the
    organization keeps an owner."""
    organization_lock(target.organization_id)
    target = _refresh(target)
    if actor is not None:
        require(_refresh(actor), Action.CHANGE_ROLE, target=target, role=role)
    elif role not in Role.values:
        raise OrganizationError(
            f"There is no role {role!r}.", hint="Choose owner, admin or member."
        )
    if target.role == role:
        return target
    if role != Role.OWNER:
        _keep_an_owner(target, "an organization always keeps at least one owner.")
    target.role = role
    target.save(update_fields=["role"])
    return target


def _personal_guard(target: Membership) -> None:
    if target.organization.is_personal:
        raise OrganizationError(
            "A personal organization always has its person; nobody can leave or be removed.",
            hint="Create a team to work with others.",
        )


@transaction.atomic
def membership_remove(*, actor: Membership | None, target: Membership) -> list[int]:
    """Remove `target` from the organization, revoke the API keys they made in it and withdraw
    the invitations they sent; returns the ids of the keys revoked. Without `actor`, the caller
    is an operator (the admin)."""
    organization_lock(target.organization_id)
    target = _refresh(target)
    if actor is not None:
        actor = _refresh(actor)
        if actor.pk == target.pk:
            return membership_leave(membership=actor)
        require(actor, Action.REMOVE_MEMBER, target=target)
    _personal_guard(target)
    _keep_an_owner(target, "they cannot be removed.")
    return _depart(target)


@transaction.atomic
def membership_leave(*, membership: Membership) -> list[int]:
    organization_lock(membership.organization_id)
    membership = _refresh(membership)
    require(membership, Action.LEAVE)
    _personal_guard(membership)
    _keep_an_owner(membership, "make another member an owner before leaving.")
    return _depart(membership)


def _depart(membership: Membership) -> list[int]:
    """What leaving takes with it, under the organization's lock: the API keys the person made
    there are revoked and the invitations they sent are withdrawn (nobody joins on the word of
    someone who is no longer a member). Returns the ids of the keys revoked."""
    from quickscale.apps.keys.services import api_keys_revoke_for_member

    revoked = api_keys_revoke_for_member(membership=membership)
    Invitation.objects.filter(
        organization_id=membership.organization_id,
        invited_by_id=membership.user_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    membership.delete()
    return revoked


@transaction.atomic
def membership_add(*, organization: Organization, user: User, role: str) -> Membership:
    """Make `user` a member (used by accepted invitations and the admin); an existing member
    keeps the role they have."""
    organization_lock(organization.pk)
    if organization.is_personal:
        raise OrganizationError(
            "A personal organization has no other members.", hint="Create a team to invite people."
        )
    membership, _ = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership
