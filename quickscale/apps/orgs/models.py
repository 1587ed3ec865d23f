"""Organizations own credits, API keys and service runs; people belong to them as members.

Every user has a personal organization (made at sign-up) that only they belong to; teams are
organizations with members, invited by e-mail.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

NAME_MAX_LENGTH = 100
SLUG_MAX_LENGTH = 50


class OrganizationKind(models.TextChoices):
    PERSONAL = "personal", "Personal"
    TEAM = "team", "Team"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Organization(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    kind = models.CharField(
        max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.TEAM
    )
    personal_owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="personal_organization",
        help_text="The person whose personal organization this is.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrganizationKind.PERSONAL) | Q(personal_owner__isnull=True),
                name="quickscale_orgs_team_has_no_personal_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.kind == OrganizationKind.PERSONAL

    @property
    def email(self) -> str:
        """Where billing writes: the address of the longest-standing owner."""
        owner = (
            self.memberships.filter(role=Role.OWNER)
            .order_by("created_at", "id")
            .values_list("user__email", flat=True)
            .first()
        )
        return owner or ""


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,  # (user, organization) below serves it
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("organization", "created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="quickscale_orgs_one_membership"
            ),
        ]
        indexes = [models.Index(fields=["user", "organization"], name="qs_orgs_by_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} of {self.organization})"


class Invitation(models.Model):
    """An offer, sent by e-mail, to join an organization with a role.

    Only a hash of the link's token is stored. An invitation is open until it is accepted or
    revoked; an open one past `expires_at` can no longer be accepted, but can be sent again
    (a new token, a new expiry). An organization has at most one open invitation per address.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="invitations",
        db_index=False,  # the open-invitation constraint and the index below serve it
    )
    email = models.EmailField(max_length=254, help_text="Stored in lower case.")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-sent_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="quickscale_orgs_one_open_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.get_role_display()})"

    def status(self, now: datetime | None = None) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "open"


class InvitationSending(models.Model):
    """One invitation e-mail sent: what the hourly limit on sending counts."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="sendings")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "sent_at"], name="qs_orgs_sendings_by_org")]

    def __str__(self) -> str:
        return f"Invitation {self.invitation_id} sent at {self.sent_at:%Y-%m-%d %H:%M}"
