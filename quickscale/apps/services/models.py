from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ServiceConfig(models.Model):
    """Operators switch services off here; a service without a row is on."""

    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "service"

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (refunded)"


class ServiceRun(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_runs"
    )
    api_key = models.ForeignKey(
        "quickscale_api.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    service = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    cost = models.PositiveIntegerField(default=0)
    input_size = models.PositiveIntegerField(help_text="Bytes of JSON input.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    debit = models.ForeignKey(
        "quickscale_credits.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refund = models.ForeignKey(
        "quickscale_credits.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    request_hash = models.CharField(max_length=64)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="quickscale_services_run_idempotency",
            )
        ]
        indexes = [models.Index(fields=["user", "-id"], name="qs_services_runs_by_user")]

    def __str__(self) -> str:
        return f"{self.service} #{self.pk} ({self.status})"
