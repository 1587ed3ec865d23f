"""Credits are lots (grants) that debits draw from, and an append-only ledger of every change.

The book balance (the sum of every lot's `remaining`) always equals the sum of the ledger's
amounts. The spendable balance leaves out lots whose expiry has passed, even before `expire`
has written their expiry entries.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from quickscale.apps.orgs.models import Organization
from quickscale.db import indexes_where_set

# The most credits one amount (a grant, a debit, a refund, an adjustment, a service's cost) or
# one account's spendable balance may hold: 2**53 - 1, the largest integer a JSON client in
# JavaScript reads exactly, and 1,024 times below PostgreSQL's bigint, so no sum the ledger or
# the charge function makes can overflow. The services refuse past it (CreditLimitError).
MAX_CREDITS = 2**53 - 1


class LotKind(models.TextChoices):
    SUBSCRIPTION = "subscription", "Subscription"
    PAYG = "payg", "Pay-as-you-go"
    PROMO = "promo", "Promotional"


class EntryKind(models.TextChoices):
    GRANT = "grant", "Grant"
    DEBIT = "debit", "Debit"
    EXPIRY = "expiry", "Expiry"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"
    CLAWBACK = "clawback", "Clawback"


class CreditLot(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="credit_lots",
        db_index=False,  # the live-lots index below leads with it
    )
    kind = models.CharField(max_length=16, choices=LotKind.choices)
    amount = models.PositiveBigIntegerField(help_text="Credits granted.")
    remaining = models.PositiveBigIntegerField(help_text="Credits not yet spent or expired.")
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the expiry entry closed this lot."
    )
    source_type = models.CharField(max_length=32, blank=True)
    source_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("amount")),
                name="quickscale_credits_lot_remaining_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="quickscale_credits_lot_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=LotKind.SUBSCRIPTION) | Q(expires_at__isnull=False),
                name="quickscale_credits_subscription_lot_expires",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "expires_at", "created_at"],
                condition=Q(remaining__gt=0),
                name="qs_credits_org_live_lots",
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(remaining__gt=0, expired_at__isnull=True),
                name="qs_credits_lapsing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} lot #{self.pk}: {self.remaining}/{self.amount}"

    def is_spendable_after_refund(self, now: datetime) -> bool:
        return self.expired_at is None and (self.expires_at is None or self.expires_at > now)


class LedgerEntry(models.Model):
    """One change to an organization's credits, and who made it. Rows are only ever inserted.

    Every debit writes a row, so the table keeps as few indexes as its reads need: the
    organization's are served by the (organization, id) indexes below, and links that are
    mostly empty are indexed only where they are set."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.BigIntegerField(help_text="Positive adds credits, negative removes them.")
    description = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the change (granted, spent, refunded); empty for the system.",
        db_index=False,
    )
    lot = models.ForeignKey(
        CreditLot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
    )
    api_key = models.ForeignKey(
        "quickscale_keys.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ledger_entries",
        help_text="The API key whose call caused this entry.",
        db_index=False,
    )
    refund_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        db_index=False,
    )
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                name="quickscale_credits_org_entry_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-id"], name="qs_credits_org_entries"),
            models.Index(fields=["organization", "kind", "-id"], name="qs_credits_org_kind"),
            *indexes_where_set("qs_credits_entry", "actor", "lot", "api_key", "refund_of"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d} ({self.organization_id})"


class Allocation(models.Model):
    """How much a debit (or a negative adjustment) drew from one lot, and how much came back."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(CreditLot, on_delete=models.PROTECT, related_name="allocations")
    amount = models.PositiveBigIntegerField()
    refunded = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__lte=models.F("amount")),
                name="quickscale_credits_allocation_refund_lte_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from lot {self.lot_id} for entry {self.entry_id}"


class CreditAccount(Organization):
    """An organization seen from the credits side, for the admin."""

    class Meta:
        proxy = True
        verbose_name = "credit account"
        permissions = [("grant_credits", "Can grant and adjust credits")]
