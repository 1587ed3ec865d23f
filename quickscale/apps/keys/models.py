from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiKey(models.Model):
    """A key a customer's code sends as `Authorization: Bearer PREFIX.SECRET`.

    Only the prefix and a hash of the secret are stored; the secret is shown once, at creation.
    A key belongs to an organization (its calls spend the organization's credits) and was made
    by one of its members (`user`), whom its calls act as.
    """

    organization = models.ForeignKey(
        "quickscale_orgs.Organization",
        on_delete=models.CASCADE,
        related_name="api_keys",
        db_index=False,  # (organization, -created_at) below serves it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="The member who made the key; its calls act as them.",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=4, unique=True)
    hashed_secret = models.CharField(max_length=128)
    scopes = models.JSONField(
        default=list, blank=True, help_text="Service names this key may run; empty: all."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "API key"
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="qs_keys_by_organization")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^[A-Za-z0-9]{4}$"), name="quickscale_api_key_prefix"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def status(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def allows(self, service: str) -> bool:
        return not self.scopes or service in self.scopes
