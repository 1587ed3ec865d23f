"""Invitations to join a team, by e-mail.

An invitation offers a role to an address. Its link carries a random token, of which only a
hash is stored; sending it again (or inviting the address again) makes a new token and a new
expiry, so the older link stops working. Accepting needs a verified address equal to the
invited one. Every change runs under the organization's lock, the one that orders changes to
its members, which also makes the hourly count of sendings exact across servers.

What the inviter is told never depends on whether the address has an account, or belongs to
a member: the e-mail differs, not the answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.selectors import user_email_verified
from quickscale.apps.accounts.validators import validate_email_length
from quickscale.apps.orgs.models import (
    Invitation,
    InvitationSending,
    Membership,
    Organization,
    Role,
)
from quickscale.apps.orgs.policy import REASONS, Action, require
from quickscale.apps.orgs.selectors import (
    invitation_open_for,
    invitation_token_hash,
    member_with_email,
)
from quickscale.apps.orgs.services import membership_add, organization_lock
from quickscale.conf import app_settings
from quickscale.exceptions import (
    InvitationAddressError,
    InvitationError,
    InvitationNotValidError,
    InvitationRateLimitError,
    OrganizationPermissionError,
)

TOKEN_BYTES = 32
RATE_WINDOW = timedelta(hours=1)
SUBJECT_TEMPLATE = "quickscale_orgs/email/invitation_subject.txt"
MESSAGE_TEMPLATE = "quickscale_orgs/email/invitation_message.txt"
NOT_VALID = (
    "This invitation is no longer valid: it expired, was withdrawn, was already used, or a "
    "newer one was sent."
)


@dataclass(frozen=True)
class _Mail:
    """What one invitation e-mail says; `link` is None for an address that is a member already."""

    email: str
    organization: str
    role: str
    inviter: str
    link: str | None
    expires_at: datetime


def _clean_email(email: str) -> str:
    email = email_normalize(email)
    try:
        validate_email_length(email)
        validate_email(email)
    except ValidationError as error:
        raise InvitationError(
            " ".join(error.messages), hint="Check the address and try again."
        ) from None
    return email


def _actor(membership: Membership) -> Membership:
    """The inviter's membership as it is now, under the lock."""
    current = (
        Membership.objects.select_related("organization", "user").filter(pk=membership.pk).first()
    )
    if current is None:
        raise OrganizationPermissionError(REASONS[Action.INVITE])
    return current


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation as it is now, under its organization's lock; raises when it is closed."""
    organization = organization_lock(invitation.organization_id)
    current = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).first()
    if current is None:
        raise InvitationNotValidError(NOT_VALID)
    current.organization = organization
    return current


def _same_organization(membership: Membership, invitation: Invitation) -> None:
    if membership.organization_id != invitation.organization_id:
        raise OrganizationPermissionError("This invitation belongs to another organization.")


def _rate_limit(organization: Organization, now: datetime) -> None:
    limit = int(app_settings.INVITATIONS_PER_HOUR)
    since = now - RATE_WINDOW
    sendings = InvitationSending.objects.filter(organization=organization)
    sendings.filter(sent_at__lte=since).delete()  # only the last hour counts
    if sendings.filter(sent_at__gt=since).count() >= limit:
        raise InvitationRateLimitError(
            f"{organization} has sent {limit} invitations in the last hour, as many as an "
            "organization may send in an hour."
        )


def _deliver(mail: _Mail) -> None:
    context = {
        "email": mail.email,
        "organization": mail.organization,
        "role": mail.role,
        "inviter": mail.inviter,
        "link": mail.link,
        "expires_at": mail.expires_at,
        "site_name": app_settings.SITE_NAME,
    }
    subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
    message = render_to_string(MESSAGE_TEMPLATE, context)
    send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, [mail.email])


def _send(invitation: Invitation, *, inviter: Membership, base_url: str) -> Invitation:
    """A new token and expiry for `invitation`, saved, and its e-mail sent after commit."""
    now = timezone.now()
    organization = invitation.organization
    _rate_limit(organization, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation.token_hash = invitation_token_hash(token)
    invitation.invited_by = inviter.user
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=int(app_settings.INVITATION_DAYS))
    invitation.save()
    InvitationSending.objects.create(organization=organization, invitation=invitation, sent_at=now)
    # A member already gets a note that they are one, not a link: there is nothing to join.
    is_member = member_with_email(organization=organization, email=invitation.email) is not None
    path = reverse("organization_invitation_accept", args=[token])
    mail = _Mail(
        email=invitation.email,
        organization=organization.name,
        role=invitation.get_role_display(),
        inviter=inviter.user.name.strip() or inviter.user.email,
        link=None if is_member else base_url.rstrip("/") + path,
        expires_at=invitation.expires_at,
    )
    # robust: the invitation is saved whether or not the mail server answers; the failure is
    # logged, and the invitation can be sent again.
    transaction.on_commit(lambda: _deliver(mail), robust=True)
    return invitation


@transaction.atomic
def invitation_send(*, membership: Membership, email: str, role: str, base_url: str) -> Invitation:
    """Invite `email` to `membership`'s organization with `role`, and e-mail them a link to
    accept (built on `base_url`, the site's address). An address with an open invitation
    already is invited again: that invitation, with the role offered now, a new link and a new
    expiry."""
    organization = organization_lock(membership.organization_id)
    inviter = _actor(membership)
    if role not in Role.values:
        raise InvitationError(f"There is no role {role!r}.", hint="Choose owner, admin or member.")
    require(inviter, Action.INVITE, role=role)
    if organization.is_personal:
        raise InvitationError(
            "A personal organization takes no invitations: only its person belongs to it.",
            hint="Create a team and invite people to it.",
        )
    email = _clean_email(email)
    invitation = invitation_open_for(organization=organization, email=email)
    if invitation is None:
        invitation = Invitation(organization=organization, email=email, role=role)
    else:
        require(inviter, Action.INVITE, role=invitation.role)  # who may offer it may change it
        invitation.role = role
    invitation.organization = organization
    return _send(invitation, inviter=inviter, base_url=base_url)


@transaction.atomic
def invitation_resend(
    *, membership: Membership, invitation: Invitation, base_url: str
) -> Invitation:
    """Send the invitation again: a new link (the old one stops working) and a new expiry."""
    invitation = _lock_open(invitation)
    inviter = _actor(membership)
    _same_organization(inviter, invitation)
    require(inviter, Action.INVITE, role=invitation.role)
    return _send(invitation, inviter=inviter, base_url=base_url)


@transaction.atomic
def invitation_revoke(
    *, invitation: Invitation, membership: Membership | None = None
) -> Invitation:
    """Withdraw the invitation: its link stops working. With `membership`, the policy decides
    whether they may (whoever may offer its role); without, the caller is an operator."""
    try:
        invitation = _lock_open(invitation)
    except InvitationNotValidError:
        return invitation  # accepted or revoked already: nothing to withdraw
    if membership is not None:
        inviter = _actor(membership)
        _same_organization(inviter, invitation)
        require(inviter, Action.INVITE, role=invitation.role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Make `user` a member with the invitation's role (a member already keeps theirs) and
    close the invitation. The user must hold the invited address, verified."""
    token_hash = invitation_token_hash(token)
    found = Invitation.objects.filter(token_hash=token_hash).only("pk", "organization").first()
    if found is None:
        raise InvitationNotValidError(NOT_VALID)
    invitation = _lock_open(found)
    if invitation.token_hash != token_hash or invitation.expires_at <= timezone.now():
        raise InvitationNotValidError(NOT_VALID)
    if not user_email_verified(user=user, email=invitation.email):
        raise InvitationAddressError(
            f"This invitation is for {invitation.email}: your account needs that address, "
            "verified, to accept it.",
            email=invitation.email,
        )
    membership = membership_add(
        organization=invitation.organization, user=user, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership.organization = invitation.organization
    return membership
