from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from quickscale.db import indexes_where_set


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


class RunError:
    """`ServiceRun.error` of runs that ran out of time: their callers got no result."""

    DEADLINE_EXCEEDED = "DeadlineExceeded"  # finished after its deadline: result discarded
    ABANDONED = "Abandoned"  # still running at its deadline: failed by `recover`
    TIMED_OUT = frozenset({DEADLINE_EXCEEDED, ABANDONED})


class ServiceRun(models.Model):
    """One call of a service, for an organization (whose credits paid) by one of its members
    (`user`). Written on every paid call: an organization's runs are read through the
    (organization, id) index, links that may be empty are indexed only where they are set, and
    running runs by their deadline (what `recover` looks for)."""

    organization = models.ForeignKey(
        "quickscale_orgs.Organization",
        on_delete=models.PROTECT,
        related_name="service_runs",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_runs",
        db_index=False,
        help_text="The member who ran it.",
    )
    api_key = models.ForeignKey(
        "quickscale_keys.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        db_index=False,
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
        db_index=False,
    )
    refund = models.ForeignKey(
        "quickscale_credits.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    request_hash = models.CharField(max_length=64)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A run still running after this is failed and refunded; no result is kept.",
    )

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="quickscale_services_org_run_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "-id"], name="qs_services_runs_by_org"),
            *indexes_where_set("qs_services_run", "api_key", "debit", "refund"),
            models.Index(
                fields=["deadline"],
                condition=Q(status=RunStatus.RUNNING),
                name="qs_services_running_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} #{self.pk} ({self.status})"

    @property
    def timed_out(self) -> bool:
        return self.status == RunStatus.FAILED and self.error in RunError.TIMED_OUT
