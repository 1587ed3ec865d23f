"""Every (role x action) pair, on every face a member acts through: the policy itself, the
organization and API key pages, and the JSON API. The expectations are written out here, not
read from the policy, so a change to the policy that breaks the documented table fails.

Operators act through the admin and the commands, gated by Django's permissions, not by a
role in the organization (see test_admin and the command tests)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.current import SESSION_KEY
from quickscale.apps.orgs.models import Invitation, Membership, Role
from quickscale.apps.orgs.policy import Action, can
from tests.orgs import team

pytestmark = pytest.mark.django_db

OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER
EVERYONE = {OWNER, ADMIN, MEMBER}
MANAGERS = {OWNER, ADMIN}
OWNERS = {OWNER}


class World:
    """A team with two people in each role; the actor is the first of their role."""

    def __init__(self, role):
        people = {
            name: get_user_model().objects.create_user(email=f"{name}@example.com", password="x")
            for name in ("owner", "owner2", "admin", "admin2", "member", "member2")
        }
        self.people = people
        self.organization = team(
            people["owner"],
            "Acme",
            owner=[people["owner2"]],
            admin=[people["admin"], people["admin2"]],
            member=[people["member"], people["member2"]],
        )
        credits_grant(
            organization=self.organization, amount=100, kind="payg", idempotency_key="fund"
        )
        self.actor = people[role.value]
        self.membership = self.member("owner" if role == OWNER else role.value)
        self.others_key = api_key_create(
            organization=self.organization, user=people["owner2"], name="owner2's"
        ).key
        self.own_key = api_key_create(organization=self.organization, user=self.actor, name="mine")
        self.client = Client()
        self.client.force_login(self.actor)
        session = self.client.session
        session[SESSION_KEY] = self.organization.pk
        session.save()

    def member(self, name):
        return Membership.objects.get(organization=self.organization, user=self.people[name])

    def role_of(self, name):
        found = Membership.objects.filter(organization=self.organization, user=self.people[name])
        return found.values_list("role", flat=True).first()


def invite(role):
    def act(world):
        return world.client.post(
            reverse("organization_invitation_send"), {"email": "new@example.com", "role": role}
        )

    def happened(world):
        return Invitation.objects.filter(email="new@example.com", role=role).exists()

    return act, happened


def change(name, role):
    def act(world):
        return world.client.post(
            reverse("organization_member_role", args=[world.member(name).pk]), {"role": role}
        )

    return act, lambda world: world.role_of(name) == role


def remove(name):
    def act(world):
        return world.client.post(
            reverse("organization_member_remove", args=[world.member(name).pk])
        )

    return act, lambda world: world.role_of(name) is None


def revoke(which):
    def act(world):
        key = world.others_key if which == "other" else world.own_key.key
        return world.client.post(reverse("account_api_key_revoke", args=[key.pk]))

    def happened(world):
        key = world.others_key if which == "other" else world.own_key.key
        return ApiKey.objects.get(pk=key.pk).revoked_at is not None

    return act, happened


def rename():
    def act(world):
        return world.client.post(reverse("organization_rename"), {"name": "Renamed"})

    return (
        act,
        lambda world: (
            world.organization.__class__.objects.get(pk=world.organization.pk).name == "Renamed"
        ),
    )


def leave():
    def act(world):
        return world.client.post(reverse("organization_leave"))

    return act, lambda world: not Membership.objects.filter(pk=world.membership.pk).exists()


def create_key():
    def act(world):
        page = world.client.get(reverse("account_api_keys"))
        nonce = page.context["form"].initial["nonce"]
        return world.client.post(reverse("account_api_key_create"), {"name": "new", "nonce": nonce})

    return act, lambda world: ApiKey.objects.filter(name="new", user=world.actor).exists()


def run_service():
    def act(world):
        api = Client(headers={"Authorization": f"Bearer {world.own_key.token}"})
        return api.post(
            reverse("api_run", args=["text_statistics"]),
            json.dumps({"text": "one two"}),
            content_type="application/json",
        )

    return act, lambda world: world.organization.service_runs.filter(user=world.actor).exists()


def view(name):
    def act(world):
        return world.client.get(reverse(name))

    return act, lambda world: True


# (case, policy question, allowed roles)
CASES = {
    "view the members page": (view("organization_members"), (Action.VIEW, None, None), EVERYONE),
    "view the credits page": (view("credits_overview"), (Action.VIEW, None, None), EVERYONE),
    "view the usage page": (view("account_api_usage"), (Action.VIEW, None, None), EVERYONE),
    "run a service": (run_service(), (Action.RUN_SERVICES, None, None), EVERYONE),
    "create a key": (create_key(), (Action.CREATE_KEY, None, None), EVERYONE),
    "revoke one's own key": (revoke("own"), (Action.MANAGE_KEY, "self", None), EVERYONE),
    "revoke another's key": (revoke("other"), (Action.MANAGE_KEY, "owner2", None), MANAGERS),
    "invite a member": (invite(MEMBER), (Action.INVITE, None, MEMBER), MANAGERS),
    "invite an admin": (invite(ADMIN), (Action.INVITE, None, ADMIN), MANAGERS),
    "invite an owner": (invite(OWNER), (Action.INVITE, None, OWNER), OWNERS),
    "make a member admin": (
        change("member2", ADMIN),
        (Action.CHANGE_ROLE, "member2", ADMIN),
        MANAGERS,
    ),
    "make an admin member": (
        change("admin2", MEMBER),
        (Action.CHANGE_ROLE, "admin2", MEMBER),
        MANAGERS,
    ),
    "make a member owner": (
        change("member2", OWNER),
        (Action.CHANGE_ROLE, "member2", OWNER),
        OWNERS,
    ),
    "demote an owner": (change("owner2", ADMIN), (Action.CHANGE_ROLE, "owner2", ADMIN), OWNERS),
    "remove a member": (remove("member2"), (Action.REMOVE_MEMBER, "member2", None), MANAGERS),
    "remove an admin": (remove("admin2"), (Action.REMOVE_MEMBER, "admin2", None), MANAGERS),
    "remove an owner": (remove("owner2"), (Action.REMOVE_MEMBER, "owner2", None), OWNERS),
    "rename the organization": (rename(), (Action.MANAGE_ORGANIZATION, None, None), OWNERS),
    "leave": (leave(), (Action.LEAVE, None, None), EVERYONE),
    "manage billing": (None, (Action.MANAGE_BILLING, None, None), OWNERS),
}


@pytest.mark.parametrize("role", [OWNER, ADMIN, MEMBER])
@pytest.mark.parametrize("case", list(CASES))
def test_the_policy_answers_the_documented_table(case, role):
    world = World(role)
    _, (action, target, offered), allowed = CASES[case]
    if target == "self":
        target_membership = world.membership
    elif target is not None:
        target_membership = world.member(target)
    else:
        target_membership = None
    assert can(world.membership, action, target=target_membership, role=offered) == (
        role in allowed
    )


@pytest.mark.parametrize("role", [OWNER, ADMIN, MEMBER])
@pytest.mark.parametrize("case", [name for name, (face, _, _) in CASES.items() if face is not None])
def test_each_face_allows_exactly_the_documented_roles_and_a_refusal_changes_nothing(case, role):
    world = World(role)
    (act, happened), _, allowed = CASES[case]
    response = act(world)
    if role in allowed:
        assert response.status_code in (200, 302), response.content[:300]
        assert happened(world)
    else:
        assert response.status_code in (403, 422) or (
            response.status_code == 200
            and response.context
            and response.context.get("invite_form")
            and response.context["invite_form"].errors
        ), response.status_code
        assert not happened(world)
