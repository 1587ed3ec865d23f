"""What customers can buy (offers, copied from Stripe's products) and what they bought.

Stripe is the source of truth for offers: `quickscale_stripe_sync` writes them, nothing else
does. Purchases are written by the webhook handlers only, one per paid checkout session or
invoice, each with the credit lot it granted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from djstripe.models import Customer

from quickscale.apps.credits.models import CreditLot
from quickscale.apps.orgs.models import Organization


class OfferKind(models.TextChoices):
    PACK = "pack", "Credit pack"
    PLAN = "plan", "Subscription plan"


class Interval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class Offer(models.Model):
    """One price of a Stripe product whose metadata says what it grants."""

    price_id = models.CharField(max_length=255, unique=True, help_text="Stripe's price id.")
    product_id = models.CharField(max_length=255, db_index=True, help_text="Stripe's product id.")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=OfferKind.choices)
    credits = models.PositiveBigIntegerField(help_text="Credits one purchase (or period) grants.")
    unit_amount = models.PositiveBigIntegerField(help_text="In the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=8, choices=Interval.choices, blank=True)
    interval_count = models.PositiveSmallIntegerField(default=1)
    position = models.IntegerField(default=0, help_text="Order on the pricing page.")
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("kind", "position", "unit_amount", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OfferKind.PACK, interval="")
                | Q(kind=OfferKind.PLAN) & ~Q(interval=""),
                name="quickscale_billing_offer_interval_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_label})"

    @property
    def is_plan(self) -> bool:
        return self.kind == OfferKind.PLAN

    @property
    def amount_label(self) -> str:
        return format_amount(self.unit_amount, self.currency)

    @property
    def price_label(self) -> str:
        if not self.is_plan:
            return self.amount_label
        every = (
            self.interval if self.interval_count == 1 else f"{self.interval_count} {self.interval}s"
        )
        return f"{self.amount_label} / {every}"


ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)


def format_amount(amount: int, currency: str) -> str:
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {code}"
    return f"{amount / 100:,.2f} {code}"


class PurchaseKind(models.TextChoices):
    PACK = "pack", "Credit pack"
    SUBSCRIPTION = "subscription", "Subscription period"
    UPGRADE = "upgrade", "Plan upgrade"


class Purchase(models.Model):
    """Credits granted for one payment: a paid pack checkout or a paid subscription invoice."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="purchases"
    )
    kind = models.CharField(max_length=16, choices=PurchaseKind.choices)
    stripe_id = models.CharField(
        max_length=255, unique=True, help_text="The checkout session or invoice that was paid."
    )
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="purchases"
    )
    credits = models.PositiveBigIntegerField()
    amount_paid = models.PositiveBigIntegerField(help_text="In the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    lot = models.OneToOneField(
        CreditLot, on_delete=models.PROTECT, null=True, blank=True, related_name="purchase"
    )
    period_end = models.DateTimeField(null=True, blank=True)
    amount_refunded = models.PositiveBigIntegerField(default=0)
    credits_clawed_back = models.PositiveBigIntegerField(
        default=0, help_text="Credits taken back for refunds, debt included."
    )
    debt = models.PositiveBigIntegerField(
        default=0, help_text="Refunded credits that had already been spent."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stripe_id}: {self.credits:,} credits"

    @property
    def amount_label(self) -> str:
        return format_amount(self.amount_paid, self.currency)


class BillingCustomer(Customer):  # type: ignore[misc]
    """dj-stripe's customer, listed in the admin with its organization, plan and balance."""

    class Meta:
        proxy = True
        verbose_name = "customer"
