"""Organizations own credits, API keys and service runs; people belong to them as members.

Every user has a personal organization (made at sign-up) that only they belong to; teams are
organizations with members, invited by e-mail.
"""

from __future__ import annotations

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
