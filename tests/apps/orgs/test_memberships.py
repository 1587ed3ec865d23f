"""Organizations and memberships: personal organizations, teams, roles, and an owner always."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.models import Membership, Organization, Role
from quickscale.apps.orgs.services import (
    membership_leave,
    membership_remove,
    membership_role_change,
    organization_create,
    organization_personal_ensure,
    organization_rename,
)
from quickscale.exceptions import LastOwnerError, OrganizationError, OrganizationPermissionError
from tests.orgs import team

pytestmark = pytest.mark.django_db


def person(email):
    return get_user_model().objects.create_user(email=email)


def member(organization, user):
    return Membership.objects.get(organization=organization, user=user)


def test_a_personal_organization_is_made_once_with_its_person_as_owner():
    ada = person("ada.lovelace@example.com")
    first = organization_personal_ensure(user=ada)
    assert organization_personal_ensure(user=ada) == first
    assert first.is_personal and first.personal_owner == ada
    assert first.slug == "adalovelace-personal"
    assert [(m.user, m.role) for m in first.memberships.all()] == [(ada, Role.OWNER)]


def test_slugs_stay_unique_when_names_collide():
    slugs = {
        organization_personal_ensure(user=person(f"ada@{n}.example.com")).slug for n in range(5)
    }
    slugs |= {
        organization_create(user=person(f"o{n}@example.com"), name="Ada").slug for n in range(5)
    }
    assert len(slugs) == 10


def test_signing_up_makes_the_personal_organization(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.com")
    assert Organization.objects.get(personal_owner=user).memberships.get().role == Role.OWNER


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_team_needs_a_name_of_at_most_100_characters(name):
    with pytest.raises(OrganizationError):
        organization_create(user=person("o@example.com"), name=name)
    assert not Organization.objects.filter(kind="team").exists()


def test_the_last_owner_cannot_leave_be_removed_or_be_demoted():
    owner = person("owner@example.com")
    organization = team(owner, admin=[person("admin@example.com")])
    mine = member(organization, owner)
    with pytest.raises(LastOwnerError):
        membership_leave(membership=mine)
    with pytest.raises(LastOwnerError):
        membership_role_change(actor=mine, target=mine, role=Role.ADMIN)
    admin = member(organization, get_user_model().objects.get(email="admin@example.com"))
    with pytest.raises(OrganizationPermissionError):
        membership_remove(actor=admin, target=mine)
    assert member(organization, owner).role == Role.OWNER


def test_with_a_second_owner_the_first_may_step_down_and_leave():
    owner, other = person("owner@example.com"), person("other@example.com")
    organization = team(owner, owner=[other])
    mine = member(organization, owner)
    assert membership_role_change(actor=mine, target=mine, role=Role.MEMBER).role == Role.MEMBER
    membership_leave(membership=member(organization, owner))
    assert list(organization.memberships.values_list("user__email", "role")) == [
        ("other@example.com", Role.OWNER)
    ]


def test_admins_manage_admins_and_members_but_never_owners():
    owner, admin, staff = person("o@example.com"), person("a@example.com"), person("m@example.com")
    organization = team(owner, admin=[admin], member=[staff])
    acting = member(organization, admin)
    assert membership_role_change(actor=acting, target=member(organization, staff), role=Role.ADMIN)
    with pytest.raises(OrganizationPermissionError):
        membership_role_change(actor=acting, target=member(organization, staff), role=Role.OWNER)
    with pytest.raises(OrganizationPermissionError):
        membership_role_change(actor=acting, target=member(organization, owner), role=Role.MEMBER)
    membership_remove(actor=acting, target=member(organization, staff))
    assert not Membership.objects.filter(organization=organization, user=staff).exists()


def test_members_manage_no_one():
    owner, one, two = person("o@example.com"), person("1@example.com"), person("2@example.com")
    organization = team(owner, member=[one, two])
    with pytest.raises(OrganizationPermissionError):
        membership_remove(actor=member(organization, one), target=member(organization, two))
    with pytest.raises(OrganizationPermissionError):
        membership_role_change(
            actor=member(organization, one), target=member(organization, one), role=Role.ADMIN
        )
    with pytest.raises(OrganizationPermissionError):
        organization_rename(membership=member(organization, one), name="Mine now")
    assert organization.memberships.count() == 3


def test_removing_a_member_revokes_the_keys_they_made_there_and_only_those():
    owner, leaver = person("o@example.com"), person("l@example.com")
    organization = team(owner, member=[leaver])
    there = api_key_create(organization=organization, user=leaver, name="team").key
    theirs = api_key_create(organization=organization, user=owner, name="owner's").key
    elsewhere = api_key_create(
        organization=organization_personal_ensure(user=leaver), user=leaver, name="own"
    ).key
    revoked = membership_remove(
        actor=member(organization, owner), target=member(organization, leaver)
    )
    assert revoked == [there.pk]
    statuses = {key.pk: key.status() for key in ApiKey.objects.all()}
    assert statuses == {there.pk: "revoked", theirs.pk: "active", elsewhere.pk: "active"}


def test_nobody_leaves_or_is_removed_from_a_personal_organization():
    ada = person("ada@example.com")
    mine = member(organization_personal_ensure(user=ada), ada)
    with pytest.raises(OrganizationError):
        membership_leave(membership=mine)
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_a_key_is_made_only_by_a_member_of_its_organization():
    owner, stranger = person("o@example.com"), person("s@example.com")
    organization = team(owner)
    with pytest.raises(OrganizationPermissionError):
        api_key_create(organization=organization, user=stranger, name="sneaky")
    assert not ApiKey.objects.exists()


def test_a_user_added_in_the_admin_gets_a_personal_organization_to_grant_credits_to(client):
    root = get_user_model().objects.create_superuser(email="root@example.com", password="pw")
    client.force_login(root)
    response = client.post(
        reverse("admin:quickscale_accounts_user_add"),
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302, response.content[:500]
    added = get_user_model().objects.get(email="added@example.com")
    assert Organization.objects.get(personal_owner=added).memberships.get().user == added
