"""Shortcuts for tests: a user's personal organization, teams with members."""

from quickscale.apps.orgs.models import Membership, Organization, Role
from quickscale.apps.orgs.services import organization_create, organization_personal_ensure


def personal(user_or_organization) -> Organization:
    """The user's personal organization (an organization passes through)."""
    if isinstance(user_or_organization, Organization):
        return user_or_organization
    return organization_personal_ensure(user=user_or_organization)


def team(owner, name="Acme", **members) -> Organization:
    """A team owned by `owner`; `members` maps a role to a list of users."""
    organization = organization_create(user=owner, name=name)
    for role, users in members.items():
        for user in users:
            Membership.objects.create(organization=organization, user=user, role=Role(role))
    return organization
