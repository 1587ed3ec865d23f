import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.urls import reverse

from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.invitations import invitation_send
from quickscale.apps.orgs.models import Invitation, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser(email="root@example.com", password="pw")
    client.force_login(user)
    return client


def act(client, model, action, objects):
    return client.post(
        reverse(f"admin:quickscale_orgs_{model}_changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objects]},
        follow=True,
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_organizations_are_found_by_a_member_s_address(root, acme):
    url = reverse("admin:quickscale_orgs_organization_changelist")
    response = root.get(url, {"q": "cy@example.com"})
    assert {o.name for o in response.context["cl"].result_list} == {"Acme", "cy (personal)"}
    assert list(root.get(url, {"q": "acme"}).context["cl"].result_list) == [acme]
    page = root.get(reverse("admin:quickscale_orgs_organization_change", args=[acme.pk]))
    assert page.status_code == 200
    assert "bob@example.com" in page.content.decode()


@pytest.mark.parametrize("model", ["organization", "membership", "invitation"])
def test_nothing_is_added_edited_or_deleted_past_the_services(root, model, acme):
    assert root.get(reverse(f"admin:quickscale_orgs_{model}_add")).status_code == 403
    obj = {"organization": acme, "membership": Membership.objects.first()}.get(model)
    if obj is not None:
        assert (
            root.get(reverse(f"admin:quickscale_orgs_{model}_delete", args=[obj.pk])).status_code
            == 403
        )
        assert (
            root.post(
                reverse(f"admin:quickscale_orgs_{model}_change", args=[obj.pk]), {}
            ).status_code
            == 403
        )


def test_role_actions_keep_an_owner(root, acme, as_member, ada, cy):
    response = act(root, "membership", "make_admin", [as_member(cy), as_member(ada)])
    assert "1 member now admin." in messages_of(response)
    assert any("last owner" in m for m in messages_of(response))
    assert (as_member(cy).role, as_member(ada).role) == ("admin", "owner")
    act(root, "membership", "make_owner", [as_member(cy)])
    act(root, "membership", "make_member", [as_member(ada)])
    assert (as_member(cy).role, as_member(ada).role) == ("owner", "member")


def test_removing_members_revokes_their_keys_and_keeps_an_owner(root, acme, as_member, ada, cy):
    key = api_key_create(organization=acme, user=cy, name="cy's").key
    response = act(root, "membership", "remove_selected", [as_member(cy), as_member(ada)])
    assert "Removed 1 member; revoked 1 API key." in messages_of(response)
    assert any("last owner" in m for m in messages_of(response))
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert list(
        Membership.objects.filter(organization=acme).values_list("user__email", flat=True)
    ) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_invitations_are_listed_and_withdrawn(root, as_member, ada):
    invitation = invitation_send(
        membership=as_member(ada), email="grace@example.com", role="member", base_url="http://x"
    )
    listing = root.get(reverse("admin:quickscale_orgs_invitation_changelist"), {"q": "grace"})
    assert list(listing.context["cl"].result_list) == [invitation]
    response = act(root, "invitation", "revoke_selected", [invitation])
    assert "Withdrew 1 invitation." in messages_of(response)
    assert Invitation.objects.get().status() == "revoked"


def test_staff_without_the_permission_get_no_actions(
    client, django_user_model, acme, as_member, cy
):
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user(email="staff@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_membership"))
    client.force_login(staff)
    response = act(client, "membership", "remove_selected", [as_member(cy)])
    assert response.status_code == 200
    assert Membership.objects.filter(pk=as_member(cy).pk).exists()
