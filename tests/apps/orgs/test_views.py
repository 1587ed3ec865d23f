import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.current import SESSION_KEY
from quickscale.apps.orgs.models import Invitation, Membership, Organization
from tests.apps.orgs.conftest import tokens_in
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LINK_TOKEN = re.compile(r"(?<=/organizations/invitations/)[A-Za-z0-9_-]+")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')


def client_for(user, organization=None):
    """A signed-in client whose pages act for `organization` (default: the personal one)."""
    client = Client()
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()
    return client


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def role_of(organization, user):
    return Membership.objects.get(organization=organization, user=user).role


@pytest.fixture
def owner(ada, acme):
    return client_for(ada, acme)


@pytest.fixture
def admin(bob, acme):
    return client_for(bob, acme)


@pytest.fixture
def member(cy, acme):
    return client_for(cy, acme)


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "organization_members", []),
        ("get", "organization_create", []),
        ("post", "organization_switch", []),
        ("post", "organization_rename", []),
        ("get", "organization_leave", []),
        ("post", "organization_member_role", [1]),
        ("get", "organization_member_remove", [1]),
        ("post", "organization_invitation_send", []),
        ("post", "organization_invitation_resend", [1]),
        ("post", "organization_invitation_revoke", [1]),
    ],
)
def test_the_pages_send_visitors_to_log_in(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# The switcher and teams.


def test_the_navigation_lists_the_user_s_organizations_and_links_to_create_a_team(owner, ada):
    page = owner.get(reverse("account_overview")).content.decode()
    switcher = page[page.index('data-testid="organization-switcher"') :]
    assert 'aria-current="true"><strong>Acme</strong>' in switcher
    assert f"Switch to {personal(ada).name}" in switcher
    assert reverse("organization_create") in switcher


def test_switching_changes_the_organization_the_pages_act_for(owner, ada, acme):
    response = owner.post(
        reverse("organization_switch"),
        {"organization": personal(ada).pk, "next": reverse("credits_overview")},
    )
    assert response["Location"] == reverse("credits_overview")
    assert owner.session[SESSION_KEY] == personal(ada).pk
    page = owner.get(reverse("organization_members"))
    assert page.context["organization"] == personal(ada)


def test_switching_goes_to_the_members_page_when_next_is_elsewhere(owner, ada):
    response = owner.post(
        reverse("organization_switch"),
        {"organization": personal(ada).pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("organization_members")


def test_switching_to_an_organization_one_is_not_in_is_not_found(owner, eve, acme):
    other = team(eve, "Other")
    response = owner.post(reverse("organization_switch"), {"organization": other.pk})
    assert response.status_code == 404
    assert owner.session[SESSION_KEY] == acme.pk
    assert owner.post(reverse("organization_switch"), {"organization": "x"}).status_code == 400


def test_creating_a_team_makes_its_creator_the_owner_and_it_current(make_user):
    grace = make_user("grace@example.com")
    client = client_for(grace)
    assert client.get(reverse("organization_create")).status_code == 200
    response = client.post(reverse("organization_create"), {"name": "  Grace   Labs "})
    assert response["Location"] == reverse("organization_members")
    organization = Organization.objects.get(name="Grace Labs")
    assert role_of(organization, grace) == "owner"
    assert client.session[SESSION_KEY] == organization.pk


def test_creating_a_team_without_a_name_is_a_form_error(make_user):
    client = client_for(make_user("grace@example.com"))
    response = client.post(reverse("organization_create"), {"name": "   "}, **HTMX)
    assert response.status_code == 422
    assert response.context["form"].errors["name"]
    assert client.post(reverse("organization_create"), {"name": ""}).status_code == 200
    assert not Organization.objects.filter(kind="team").exists()


# The members page.


def test_the_members_page_lists_members_with_their_roles(owner, acme):
    response = owner.get(reverse("organization_members"))
    rows = {row.membership.user.email: row.membership.role for row in response.context["rows"]}
    assert rows == {
        "ada@example.com": "owner",
        "bob@example.com": "admin",
        "cy@example.com": "member",
    }
    page = response.content.decode()
    assert "Role of bob@example.com" in page and "Remove cy@example.com" in page


def test_a_member_sees_no_buttons_they_may_not_use(member):
    page = member.get(reverse("organization_members")).content.decode()
    assert "/role/" not in page and "/remove/" not in page
    assert reverse("organization_invitation_send") not in page
    assert reverse("organization_rename") not in page
    assert reverse("organization_leave") in page


def test_an_admin_is_not_offered_the_owner_role_nor_the_owner_s_removal(admin, ada):
    response = admin.get(reverse("organization_members"))
    rows = {row.membership.user.email: row for row in response.context["rows"]}
    assert rows["ada@example.com"].roles == [] and not rows["ada@example.com"].removable
    assert [value for value, _ in rows["cy@example.com"].roles] == ["admin", "member"]
    assert [value for value, _ in response.context["invite_form"].fields["role"].choices] == [
        "admin",
        "member",
    ]
    assert "rename_form" not in response.context


def test_a_personal_organization_offers_no_invitations_and_says_to_create_a_team(ada):
    client = client_for(ada)
    response = client.get(reverse("organization_members"))
    assert not response.context["may_invite"] and not response.context["may_leave"]
    page = response.content.decode()
    assert reverse("organization_create") in page and "create a team" in page
    assert reverse("organization_invitation_send") not in page


def test_changing_a_role_without_javascript(owner, acme, cy):
    target = Membership.objects.get(organization=acme, user=cy)
    response = owner.post(reverse("organization_member_role", args=[target.pk]), {"role": "admin"})
    assert response["Location"] == reverse("organization_members")
    assert messages_of(response) == ["cy@example.com is now admin."]
    assert role_of(acme, cy) == "admin"


def test_changing_a_role_through_htmx_answers_the_member_list(owner, acme, cy):
    target = Membership.objects.get(organization=acme, user=cy)
    response = owner.post(
        reverse("organization_member_role", args=[target.pk]), {"role": "admin"}, **HTMX
    )
    assert response.status_code == 200
    assert response.templates[0].name == "fragments/organization_members.html"
    assert "cy@example.com is now admin." in response.content.decode()


def test_a_role_the_policy_refuses_is_403_and_changes_nothing(admin, acme, ada, cy):
    cy_membership = Membership.objects.get(organization=acme, user=cy)
    ada_membership = Membership.objects.get(organization=acme, user=ada)
    url = reverse("organization_member_role", args=[cy_membership.pk])
    assert admin.post(url, {"role": "owner"}).status_code == 403
    url = reverse("organization_member_role", args=[ada_membership.pk])
    assert admin.post(url, {"role": "member"}, **HTMX).status_code == 403
    assert (role_of(acme, cy), role_of(acme, ada)) == ("member", "owner")


def test_the_last_owner_stepping_down_is_told_why(owner, acme, ada):
    mine = Membership.objects.get(organization=acme, user=ada)
    url = reverse("organization_member_role", args=[mine.pk])
    response = owner.post(url, {"role": "admin"}, **HTMX)
    assert response.status_code == 422
    assert "last owner" in response.content.decode()
    response = owner.post(url, {"role": "admin"})
    assert response.status_code == 302
    assert "last owner" in messages_of(response)[0]
    assert role_of(acme, ada) == "owner"


def test_an_unknown_role_is_refused(owner, acme, cy):
    target = Membership.objects.get(organization=acme, user=cy)
    url = reverse("organization_member_role", args=[target.pk])
    assert owner.post(url, {"role": "emperor"}, **HTMX).status_code == 422
    assert role_of(acme, cy) == "member"


def test_another_organization_s_members_are_not_found(owner, eve):
    other = team(eve, "Other")
    theirs = Membership.objects.get(organization=other, user=eve)
    assert (
        owner.post(
            reverse("organization_member_role", args=[theirs.pk]), {"role": "member"}
        ).status_code
        == 404
    )
    assert owner.get(reverse("organization_member_remove", args=[theirs.pk])).status_code == 404
    assert owner.post(reverse("organization_member_remove", args=[theirs.pk])).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role="owner").exists()


def test_removing_a_member_lists_then_revokes_the_keys_they_made(owner, acme, cy):
    api_key_create(organization=acme, user=cy, name="cy's laptop")
    api_key_create(organization=personal(cy), user=cy, name="cy's own")
    target = Membership.objects.get(organization=acme, user=cy)
    url = reverse("organization_member_remove", args=[target.pk])
    confirm = owner.get(url)
    assert [key.name for key in confirm.context["keys"]] == ["cy's laptop"]
    assert "cy&#x27;s laptop" in confirm.content.decode()
    assert "cy's own" not in confirm.content.decode()
    response = owner.post(url)
    assert messages_of(response) == [
        "cy@example.com was removed from Acme; 1 API key they made in it was revoked."
    ]
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert ApiKey.objects.get(name="cy's laptop").revoked_at is not None
    assert ApiKey.objects.get(name="cy's own").revoked_at is None


def test_removing_a_member_through_htmx(owner, acme, cy):
    target = Membership.objects.get(organization=acme, user=cy)
    url = reverse("organization_member_remove", args=[target.pk])
    confirm = owner.get(url, **HTMX)
    assert confirm.templates[0].name == "fragments/organization_member_remove.html"
    assert "made no active API key" in confirm.content.decode()
    response = owner.post(url, **HTMX)
    assert response.status_code == 200
    assert "0 API keys they made in it were revoked" in response.content.decode()
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_a_member_may_not_remove_anyone(member, acme, bob):
    target = Membership.objects.get(organization=acme, user=bob)
    url = reverse("organization_member_remove", args=[target.pk])
    assert member.get(url).status_code == 403
    assert member.post(url, **HTMX).status_code == 403
    assert Membership.objects.filter(pk=target.pk).exists()


def test_leaving_revokes_one_s_keys_and_goes_back_to_the_personal_organization(member, acme, cy):
    api_key_create(organization=acme, user=cy, name="laptop")
    confirm = member.get(reverse("organization_leave"))
    assert [key.name for key in confirm.context["keys"]] == ["laptop"]
    response = member.post(reverse("organization_leave"))
    assert messages_of(response) == ["You left Acme; 1 API key you made in it was revoked."]
    assert not Membership.objects.filter(organization=acme, user=cy).exists()
    page = member.get(response["Location"])
    assert page.context["organization"] == personal(cy)


def test_the_last_owner_leaving_is_a_message_not_an_error(owner, acme, ada):
    response = owner.post(reverse("organization_leave"))
    assert response.status_code == 302
    assert "last owner" in messages_of(response)[0]
    assert role_of(acme, ada) == "owner"


def test_a_personal_organization_cannot_be_left(ada):
    client = client_for(ada)
    assert "cannot be left" in client.get(reverse("organization_leave")).content.decode()
    response = client.post(reverse("organization_leave"))
    assert "personal organization" in messages_of(response)[0]
    assert Membership.objects.filter(organization=personal(ada), user=ada).exists()


def test_owners_rename_the_organization(owner, acme):
    response = owner.post(reverse("organization_rename"), {"name": "Acme Labs"}, **HTMX)
    assert response.status_code == 200
    assert 'id="organization-title" hx-swap-oob="true">Acme Labs' in response.content.decode()
    response = owner.post(reverse("organization_rename"), {"name": "Acme Works"})
    assert messages_of(response) == ["The organization is now called Acme Works."]
    acme.refresh_from_db()
    assert acme.name == "Acme Works"
    assert owner.post(reverse("organization_rename"), {"name": ""}, **HTMX).status_code == 422


def test_admins_may_not_rename_it(admin, acme):
    assert admin.post(reverse("organization_rename"), {"name": "Mine"}).status_code == 403
    acme.refresh_from_db()
    assert acme.name == "Acme"


# Invitations.


def send(client, email="grace@example.com", role="member", **headers):
    return client.post(
        reverse("organization_invitation_send"), {"email": email, "role": role}, **headers
    )


def test_sending_an_invitation_without_javascript(owner, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(owner, "Grace@Example.com", "admin")
    assert messages_of(response) == ["Invitation sent to grace@example.com."]
    assert Invitation.objects.get().role == "admin"
    [token] = tokens_in(mail.outbox)
    assert mail.outbox[0].body.count(f"http://testserver/organizations/invitations/{token}/") == 1


def test_sending_an_invitation_through_htmx_lists_it(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(admin, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Invitation sent to grace@example.com." in page
    assert 'id="invitation-' in page and "Withdraw the invitation to grace@example.com" in page


def test_a_member_may_not_invite(member):
    assert send(member).status_code == 403
    assert send(member, **HTMX).status_code == 403
    assert not Invitation.objects.exists()


def test_an_admin_offering_the_owner_role_is_a_form_error(admin):
    response = send(admin, role="owner", **HTMX)
    assert response.status_code == 422
    assert response.context["invite_form"].errors["role"]
    assert not Invitation.objects.exists()


def test_too_many_invitations_are_refused_with_a_clear_message(owner, settings):
    settings.QUICKSCALE_INVITATIONS_PER_HOUR = 1
    send(owner, "one@example.com")
    response = send(owner, "two@example.com", **HTMX)
    assert response.status_code == 422
    assert "as many as an organization may send in an hour" in response.content.decode()
    assert send(owner, "two@example.com").status_code == 429
    assert list(Invitation.objects.values_list("email", flat=True)) == ["one@example.com"]


def _normalized(response, email):
    page = response.content.decode().replace(email, "ADDRESS")
    page = re.sub(r"invitation-\d+|invitations/\d+/", "ID", page)
    page = re.sub(r"<time [^>]*>[^<]*</time>", "TIME", page)
    return CSRF.sub("TOKEN", page)


@pytest.mark.parametrize("htmx", [True, False])
def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    owner, make_user, django_capture_on_commit_callbacks, htmx
):
    make_user("known@example.com")
    headers = HTMX if htmx else {}
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = send(owner, email, **headers)
        if not htmx:
            assert response.status_code == 302
            response = owner.get(response["Location"])
        answers.append((response.status_code, _normalized(response, email)))
        Invitation.objects.update(revoked_at="2000-01-01T00:00:00Z")  # the next starts alike
    assert answers[0] == answers[1]
    known, unknown = (
        LINK_TOKEN.sub("TOKEN", message.body.replace(message.to[0], "@")) for message in mail.outbox
    )
    assert known == unknown
    assert len(tokens_in(mail.outbox)) == 2


def test_inviting_a_member_gets_the_same_answer(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(owner, "cy@example.com", **HTMX)
    assert response.status_code == 200
    assert "Invitation sent to cy@example.com." in response.content.decode()
    assert tokens_in(mail.outbox) == []


def test_sending_again_and_withdrawing(owner, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(owner)
        invitation = Invitation.objects.get()
        response = owner.post(
            reverse("organization_invitation_resend", args=[invitation.pk]), **HTMX
        )
    assert response.status_code == 200
    assert "the earlier link no longer works" in response.content.decode()
    old, new = tokens_in(mail.outbox)
    assert owner.get(reverse("organization_invitation_accept", args=[old])).status_code == 410
    response = owner.post(reverse("organization_invitation_revoke", args=[invitation.pk]))
    assert messages_of(response) == [
        "The invitation to grace@example.com was withdrawn; its link no longer works."
    ]
    assert owner.get(reverse("organization_invitation_accept", args=[new])).status_code == 410
    # Closed: nothing left to send again or withdraw.
    assert (
        owner.post(reverse("organization_invitation_resend", args=[invitation.pk])).status_code
        == 404
    )


def test_another_organization_s_invitations_are_not_found(
    owner, eve, django_capture_on_commit_callbacks
):
    other = team(eve, "Other")
    with django_capture_on_commit_callbacks(execute=True):
        send(client_for(eve, other))
    invitation = Invitation.objects.get(organization=other)
    for name in ("organization_invitation_resend", "organization_invitation_revoke"):
        assert owner.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert Invitation.objects.get().revoked_at is None
    assert len(mail.outbox) == 1


def test_an_admin_cannot_withdraw_an_owner_s_invitation(
    owner, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(owner, role="owner")
    invitation = Invitation.objects.get()
    page = admin.get(reverse("organization_members")).content.decode()
    assert "Withdraw the invitation to grace@example.com" not in page
    assert (
        admin.post(reverse("organization_invitation_revoke", args=[invitation.pk])).status_code
        == 403
    )
    assert (
        admin.post(reverse("organization_invitation_resend", args=[invitation.pk])).status_code
        == 403
    )
    assert Invitation.objects.get().revoked_at is None


# Accepting.


@pytest.fixture
def link(owner, django_capture_on_commit_callbacks):
    """The path of an invitation to grace@example.com, as her e-mail carries it."""
    with django_capture_on_commit_callbacks(execute=True):
        send(owner, "grace@example.com", "admin")
    [token] = tokens_in(mail.outbox)
    mail.outbox.clear()
    return reverse("organization_invitation_accept", args=[token])


def test_a_signed_out_visitor_is_offered_to_log_in_or_sign_up_and_come_back(client, link):
    response = client.get(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Acme" in page and "grace@example.com" in page
    assert f'href="{reverse("account_login")}?next={link.replace("/", "%2F")}"' in page
    assert f'href="{reverse("account_signup")}?next={link.replace("/", "%2F")}"' in page
    assert client.post(link).status_code == 200  # nothing accepted without an account
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()


def test_logging_in_comes_back_to_the_invitation(client, link, make_user):
    make_user("grace@example.com")
    response = client.post(
        f"{reverse('account_login')}?next={link}",
        {"login": "grace@example.com", "password": "pw-unusual-1"},
    )
    assert response["Location"] == link
    assert "Accept the invitation" in client.get(link).content.decode()


def test_accepting_makes_one_a_member_and_the_organization_current(link, make_user, acme):
    grace = make_user("grace@example.com")
    client = client_for(grace)
    response = client.post(link)
    assert response["Location"] == reverse("organization_members")
    assert messages_of(response) == ["Welcome to Acme: you are admin."]
    assert role_of(acme, grace) == "admin"
    assert client.session[SESSION_KEY] == acme.pk
    assert client.get(link).status_code == 410


def test_a_used_expired_or_withdrawn_link_says_so(client, link, make_user):
    Invitation.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = client.get(link)
    assert response.status_code == 410
    assert "This invitation is no longer valid" in response.content.decode()
    assert client_for(make_user("grace@example.com")).post(link).status_code == 410
    assert (
        client.get(reverse("organization_invitation_accept", args=["made-up"])).status_code == 410
    )


def test_an_account_without_the_address_verified_is_told_which_and_how(link, make_user, acme):
    someone = make_user("someone@example.com")
    client = client_for(someone)
    response = client.get(link)
    assert response.status_code == 403
    page = response.content.decode()
    assert "grace@example.com" in page and reverse("account_email") in page
    assert client.post(link).status_code == 403
    assert not Membership.objects.filter(organization=acme, user=someone).exists()


def test_an_unverified_address_of_one_s_own_is_told_to_verify_it(link, make_user):
    from allauth.account.models import EmailAddress

    grace = make_user("grace@example.com", verify=False)
    EmailAddress.objects.create(user=grace, email="grace@example.com", verified=False)
    response = client_for(grace).get(link)
    assert response.status_code == 403
    assert "not verified yet" in response.content.decode()


def test_the_verify_page_does_not_tell_whether_another_account_has_the_address(
    owner, make_user, django_capture_on_commit_callbacks
):
    make_user("taken@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        send(owner, "taken@example.com")
        send(owner, "free@example.com")
    taken, free = (
        reverse("organization_invitation_accept", args=[t]) for t in tokens_in(mail.outbox)
    )
    client = client_for(make_user("someone@example.com"))
    pages = []
    for path, email in ((taken, "taken@example.com"), (free, "free@example.com")):
        response = client.get(path)
        page = response.content.decode().replace(email, "ADDRESS").replace(path, "PATH")
        pages.append(
            (response.status_code, re.sub(r"<time [^>]*>[^<]*</time>", "TIME", CSRF.sub("T", page)))
        )
    assert pages[0] == pages[1]


def test_signing_up_in_between_keeps_the_invitation(client, link, acme, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    signup = client.get(link).context["signup_url"]
    response = client.post(
        signup,
        {"email": "grace@example.com", "password1": "pw-unusual-1", "password2": "pw-unusual-1"},
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    [confirmation] = mail.outbox
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", confirmation.body).group(1)
    response = client.post(reverse("account_confirm_email", args=[key]))
    assert response["Location"] == link
    assert "Accept the invitation" in client.get(link).content.decode()
    client.post(link)
    assert (
        role_of(
            acme, Membership.objects.get(user__email="grace@example.com", organization=acme).user
        )
        == "admin"
    )
