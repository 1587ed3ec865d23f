"""Who may do what in an organization: the one place every page, API endpoint, admin action
and command asks.

Owners run the organization (billing, members, its name); admins manage members who are not
owners and every API key; members use services and manage the keys they made. Everyone in an
organization sees its balance and usage.
"""

from __future__ import annotations

from enum import StrEnum

from quickscale.apps.orgs.models import Membership, Role
from quickscale.exceptions import OrganizationPermissionError


class Action(StrEnum):
    VIEW = "view"  # the organization's pages: balance, usage, members
    RUN_SERVICES = "run_services"
    CREATE_KEY = "create_key"
    MANAGE_KEY = "manage_key"  # revoke a key; target: the key's creator's membership
    INVITE = "invite"  # target role: the role offered
    CHANGE_ROLE = "change_role"  # target: the membership; target role: the new role
    REMOVE_MEMBER = "remove_member"  # target: the membership
    LEAVE = "leave"
    MANAGE_BILLING = "manage_billing"
    MANAGE_ORGANIZATION = "manage_organization"  # rename


EVERYONE = frozenset(Role.values)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
OWNERS = frozenset({Role.OWNER})

_ALLOWED: dict[Action, frozenset[str]] = {
    Action.VIEW: EVERYONE,
    Action.RUN_SERVICES: EVERYONE,
    Action.CREATE_KEY: EVERYONE,
    Action.MANAGE_KEY: EVERYONE,  # narrowed by target below
    Action.INVITE: MANAGERS,
    Action.CHANGE_ROLE: MANAGERS,
    Action.REMOVE_MEMBER: MANAGERS,
    Action.LEAVE: EVERYONE,
    Action.MANAGE_BILLING: OWNERS,
    Action.MANAGE_ORGANIZATION: OWNERS,
}

REASONS: dict[Action, str] = {
    Action.VIEW: "You are not a member of this organization.",
    Action.RUN_SERVICES: "You are not a member of this organization.",
    Action.CREATE_KEY: "You are not a member of this organization.",
    Action.MANAGE_KEY: "Only the key's creator, an admin or an owner may change this key.",
    Action.INVITE: "Only owners and admins may invite people; only owners may invite owners.",
    Action.CHANGE_ROLE: "Only owners may change an owner's role or make someone an owner; "
    "admins may change the roles of admins and members.",
    Action.REMOVE_MEMBER: "Only owners may remove an owner; admins may remove admins and members.",
    Action.LEAVE: "You are not a member of this organization.",
    Action.MANAGE_BILLING: "Only the organization's owners manage its billing.",
    Action.MANAGE_ORGANIZATION: "Only the organization's owners may change it.",
}


def can(
    membership: Membership | None,
    action: Action,
    *,
    target: Membership | None = None,
    role: str | None = None,
) -> bool:
    """Whether the holder of `membership` may do `action`. `target` is the membership acted
    on (for keys: the membership of the key's creator, None when they have left); `role` is
    the role offered or given. Rules that keep an organization whole (its last owner stays)
    are the services' to enforce, not permissions."""
    if membership is None or membership.role not in _ALLOWED[action]:
        return False
    if target is not None and target.organization_id != membership.organization_id:
        return False
    is_owner = membership.role == Role.OWNER
    if action == Action.MANAGE_KEY:
        own = target is not None and target.user_id == membership.user_id
        return own or membership.role in MANAGERS
    if action == Action.INVITE:
        return role is None or (role in Role.values and (is_owner or role != Role.OWNER))
    if action == Action.CHANGE_ROLE:
        if target is None or role not in Role.values:
            return False
        return is_owner or (target.role != Role.OWNER and role != Role.OWNER)
    if action == Action.REMOVE_MEMBER:
        if target is None:
            return False
        return is_owner or target.role != Role.OWNER
    return True


def require(
    membership: Membership | None,
    action: Action,
    *,
    target: Membership | None = None,
    role: str | None = None,
) -> Membership:
    """`membership` when `can` says yes; OrganizationPermissionError with the reason when not."""
    if membership is None or not can(membership, action, target=target, role=role):
        raise OrganizationPermissionError(REASONS[action])
    return membership
