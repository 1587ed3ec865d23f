"""Shortcuts for tests: a user's personal organization, teams with members. Imported by
conftest modules, so Django's models are imported when these are called, not before."""


def personal(user_or_organization):
    """The user's personal organization (an organization passes through)."""
    from quickscale.apps.orgs.models import Organization
    from quickscale.apps.orgs.services import organization_personal_ensure

    if isinstance(user_or_organization, Organization):
        return user_or_organization
    return organization_personal_ensure(user=user_or_organization)


def team(creator, name="Acme", **members):
    """A team `creator` owns; `members` maps a role to a list of users."""
    from quickscale.apps.orgs.models import Membership, Role
    from quickscale.apps.orgs.services import organization_create

    organization = organization_create(user=creator, name=name)
    for role, users in members.items():
        for user in users:
            Membership.objects.create(organization=organization, user=user, role=Role(role))
    return organization
