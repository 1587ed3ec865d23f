import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from quickscale.apps.orgs.invitations import (
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from quickscale.apps.orgs.models import Invitation, InvitationSending, Membership
from quickscale.apps.orgs.selectors import invitation_by_token
from quickscale.apps.orgs.services import membership_leave, membership_remove
from quickscale.exceptions import (
    InvitationAddressError,
    InvitationError,
    InvitationNotValidError,
    InvitationRateLimitError,
    OrganizationPermissionError,
)
from tests.apps.orgs.conftest import tokens_in, verified
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db

SITE = "https://app.example.com"


def invite(sent, membership, email="grace@example.com", role="member"):
    """Send an invitation; returns it and the token its e-mail carries (None: no link)."""
    before = len(mail.outbox)
    invitation = sent(invitation_send, membership=membership, email=email, role=role, base_url=SITE)
    new = mail.outbox[before:]
    assert len(new) == 1
    tokens = tokens_in(new)
    return invitation, tokens[0] if tokens else None


def test_the_e_mail_carries_a_link_to_the_site_and_only_a_hash_of_its_token_is_kept(
    sent, as_member, ada
):
    invitation, token = invite(sent, as_member(ada), "Grace@Example.com")
    message = mail.outbox[-1]
    assert message.to == ["grace@example.com"]
    assert f"{SITE}/organizations/invitations/{token}/" in message.body
    assert "Acme" in message.subject and "Ada" in message.subject
    invitation.refresh_from_db()
    assert invitation.email == "grace@example.com"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert token not in str(stored)


def test_nothing_is_mailed_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks, as_member, ada
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitation_send(
            membership=as_member(ada), email="grace@example.com", role="member", base_url=SITE
        )
        raise RuntimeError("the request failed after the invitation")
    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_accepting_adds_the_member_with_the_offered_role(sent, as_member, ada, acme, make_user):
    _, token = invite(sent, as_member(ada), "grace@example.com", role="admin")
    grace = make_user("grace@example.com")
    membership = invitation_accept(token=token, user=grace)
    assert (membership.organization, membership.user, membership.role) == (acme, grace, "admin")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == grace
    assert invitation.status() == "accepted"


def test_a_link_works_once(sent, as_member, ada, make_user):
    _, token = invite(sent, as_member(ada), "grace@example.com")
    grace = make_user("grace@example.com")
    invitation_accept(token=token, user=grace)
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=token, user=grace)
    assert invitation_by_token(token=token) is None


def test_an_invitation_expires_after_the_configured_days(sent, as_member, ada, make_user, settings):
    settings.QUICKSCALE_INVITATION_DAYS = 3
    invitation, token = invite(sent, as_member(ada))
    assert invitation.expires_at - invitation.sent_at == timedelta(days=3)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=token, user=make_user("grace@example.com"))
    assert not Membership.objects.filter(user__email="grace@example.com", organization__name="Acme")


def test_the_default_expiry_is_seven_days(sent, as_member, ada):
    invitation, _ = invite(sent, as_member(ada))
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)


def test_a_withdrawn_invitation_cannot_be_accepted(sent, as_member, ada, make_user):
    invitation, token = invite(sent, as_member(ada))
    invitation_revoke(invitation=invitation, membership=as_member(ada))
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=token, user=make_user("grace@example.com"))


def test_sending_again_kills_the_old_link_and_renews_the_expiry(sent, as_member, ada, make_user):
    invitation, old = invite(sent, as_member(ada))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))  # it had expired
    before = len(mail.outbox)
    again = sent(invitation_resend, membership=as_member(ada), invitation=invitation, base_url=SITE)
    [new] = tokens_in(mail.outbox[before:])
    assert new != old
    assert again.pk == invitation.pk
    assert again.expires_at > timezone.now() + timedelta(days=6)
    grace = make_user("grace@example.com")
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=old, user=grace)
    assert invitation_accept(token=new, user=grace).role == "member"


def test_inviting_an_address_again_sends_its_open_invitation_again(sent, as_member, ada, bob):
    first, old = invite(sent, as_member(ada), "grace@example.com", role="member")
    second, new = invite(sent, as_member(bob), "GRACE@example.com", role="admin")
    assert second.pk == first.pk
    assert Invitation.objects.count() == 1
    assert (second.role, second.invited_by) == ("admin", as_member(bob).user)
    assert invitation_by_token(token=old) is None
    assert invitation_by_token(token=new) == second


def test_an_address_can_be_invited_anew_after_its_invitation_was_withdrawn(sent, as_member, ada):
    first, _ = invite(sent, as_member(ada))
    invitation_revoke(invitation=first)
    second, token = invite(sent, as_member(ada))
    assert second.pk != first.pk
    assert invitation_by_token(token=token) == second


def test_an_organization_sends_at_most_so_many_invitations_an_hour(
    sent, as_member, ada, eve, settings
):
    settings.QUICKSCALE_INVITATIONS_PER_HOUR = 3
    first, _ = invite(sent, as_member(ada), "one@example.com")
    invite(sent, as_member(ada), "two@example.com")
    sent(invitation_resend, membership=as_member(ada), invitation=first, base_url=SITE)
    with pytest.raises(InvitationRateLimitError, match="3 invitations in the last hour"):
        invite(sent, as_member(ada), "three@example.com")
    with pytest.raises(InvitationRateLimitError):
        sent(invitation_resend, membership=as_member(ada), invitation=first, base_url=SITE)
    assert not Invitation.objects.filter(email="three@example.com").exists()
    # Another organization counts its own.
    other = team(eve, "Other")
    invite(sent, Membership.objects.get(organization=other, user=eve), "three@example.com")
    # An hour later the oldest sendings no longer count.
    InvitationSending.objects.update(sent_at=timezone.now() - timedelta(hours=1, seconds=1))
    invite(sent, as_member(ada), "three@example.com")


def test_a_personal_organization_takes_no_invitations(sent, ada):
    membership = Membership.objects.get(organization=personal(ada), user=ada)
    with pytest.raises(InvitationError, match="personal organization") as refused:
        sent(
            invitation_send,
            membership=membership,
            email="grace@example.com",
            role="member",
            base_url=SITE,
        )
    assert "Create a team" in refused.value.hint
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [
        ("ada", "owner", True),
        ("ada", "admin", True),
        ("bob", "owner", False),
        ("bob", "admin", True),
        ("bob", "member", True),
        ("cy", "member", False),
    ],
)
def test_owners_offer_any_role_admins_admin_or_member_and_members_none(
    sent, as_member, request, inviter, role, allowed
):
    membership = as_member(request.getfixturevalue(inviter))
    if allowed:
        invitation, _ = invite(sent, membership, role=role)
        assert invitation.role == role
    else:
        with pytest.raises(OrganizationPermissionError):
            invite(sent, membership, role=role)
        assert not Invitation.objects.exists()


def test_an_admin_cannot_change_an_owner_s_invitation_by_inviting_again(sent, as_member, ada, bob):
    invite(sent, as_member(ada), "grace@example.com", role="owner")
    with pytest.raises(OrganizationPermissionError):
        invite(sent, as_member(bob), "grace@example.com", role="member")
    invitation = Invitation.objects.get()
    with pytest.raises(OrganizationPermissionError):
        invitation_revoke(invitation=invitation, membership=as_member(bob))
    assert Invitation.objects.get().role == "owner"
    assert Invitation.objects.get().revoked_at is None


def test_accepting_needs_the_invited_address_verified(sent, as_member, ada, make_user, acme):
    _, token = invite(sent, as_member(ada), "grace@example.com")
    grace = make_user("grace@example.com", verify=False)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=grace, email="grace@example.com", verified=False)
    with pytest.raises(InvitationAddressError) as refused:
        invitation_accept(token=token, user=grace)
    assert refused.value.email == "grace@example.com"
    someone = make_user("someone@example.com")  # verified, but another address
    with pytest.raises(InvitationAddressError):
        invitation_accept(token=token, user=someone)
    assert not Membership.objects.filter(organization=acme, user__in=[grace, someone]).exists()
    EmailAddress.objects.filter(user=grace).update(verified=True, email="Grace@Example.COM")
    assert invitation_accept(token=token, user=grace).organization == acme


def test_a_member_already_gets_a_note_and_no_link(sent, as_member, ada, cy):
    invitation, token = invite(sent, as_member(ada), "CY@example.com", role="admin")
    assert token is None
    assert "already" in mail.outbox[-1].body and "Acme" in mail.outbox[-1].body
    assert invitation.status() == "open"  # listed like any other: the answer is the same
    assert as_member(cy).role == "member"


def test_an_address_a_member_verified_counts_as_theirs(sent, as_member, ada, cy):
    verified(cy, "cy@work.example")
    _, token = invite(sent, as_member(ada), "cy@work.example")
    assert token is None


def test_accepting_as_a_member_keeps_their_role(sent, as_member, ada, bob):
    verified(bob, "bob@work.example")
    invitation, _ = invite(sent, as_member(ada), "bob@work.example", role="member")
    # The link of a sending made while the address was no member's.
    Membership.objects.filter(user=bob).delete()
    before = len(mail.outbox)
    sent(invitation_resend, membership=as_member(ada), invitation=invitation, base_url=SITE)
    [token] = tokens_in(mail.outbox[before:])
    Membership.objects.create(organization=invitation.organization, user=bob, role="admin")
    assert invitation_accept(token=token, user=bob).role == "admin"


def test_an_operator_withdraws_and_a_closed_invitation_stays_as_it_is(
    sent, as_member, ada, make_user
):
    invitation, token = invite(sent, as_member(ada))
    invitation_accept(token=token, user=make_user("grace@example.com"))
    assert invitation_revoke(invitation=invitation).revoked_at is None
    other, _ = invite(sent, as_member(ada), "hal@example.com")
    assert invitation_revoke(invitation=other).revoked_at is not None


def test_another_organization_s_member_cannot_touch_an_invitation(sent, as_member, ada, eve):
    invitation, _ = invite(sent, as_member(ada))
    outsider = Membership.objects.get(organization=team(eve, "Other"), user=eve)
    with pytest.raises(OrganizationPermissionError):
        invitation_revoke(invitation=invitation, membership=outsider)
    with pytest.raises(OrganizationPermissionError):
        sent(invitation_resend, membership=outsider, invitation=invitation, base_url=SITE)
    assert Invitation.objects.get().revoked_at is None


@pytest.mark.parametrize("email", ["not an address", "a" * 250 + "@example.com", ""])
def test_an_address_that_is_none_is_refused(sent, as_member, ada, email):
    with pytest.raises(InvitationError):
        invite(sent, as_member(ada), email)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("token", ["", "x", "x" * 5000, "\x00", "é" * 40])
def test_a_token_that_opens_nothing_is_not_valid(sent, as_member, ada, token):
    invite(sent, as_member(ada))
    assert invitation_by_token(token=token) is None
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=token, user=ada)


@pytest.mark.parametrize("departure", ["removed", "left"])
def test_the_invitations_a_member_sent_are_withdrawn_when_they_go(
    departure, sent, as_member, ada, bob, make_user
):
    # Bob, an admin, invites a second address of his; then he goes. His invitation must not
    # let him (or anyone) back in.
    invitation, token = invite(sent, as_member(bob), "bob-alt@example.com", role="admin")
    if departure == "removed":
        membership_remove(actor=as_member(ada), target=as_member(bob))
    else:
        membership_leave(membership=as_member(bob))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    with pytest.raises(InvitationNotValidError):
        invitation_accept(token=token, user=make_user("bob-alt@example.com"))
    assert not Membership.objects.filter(
        user__email="bob-alt@example.com", organization=as_member(ada).organization
    ).exists()
