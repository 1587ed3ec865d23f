"""Reads of credits. A balance reads the organization's live lots only, never the ledger's
history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from quickscale.apps.credits.models import CreditLot, EntryKind, LedgerEntry, LotKind
from quickscale.apps.credits.rules import spendable, spendable_lots
from quickscale.apps.orgs.models import Organization
from quickscale.pagination import KeysetPage, keyset_page

LEDGER_PAGE_SIZE = 25
EXPORT_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Balance:
    total: int
    subscription: int
    payg: int
    promo: int
    next_expiry: datetime | None
    next_expiry_amount: int

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "subscription": self.subscription,
            "payg": self.payg,
            "promo": self.promo,
            "next_expiry": self.next_expiry.isoformat() if self.next_expiry else None,
            "next_expiry_amount": self.next_expiry_amount,
        }


def credit_balance_get(*, organization: Organization, now: datetime | None = None) -> Balance:
    now = now if now is not None else timezone.now()
    by_kind = dict.fromkeys(LotKind.values, 0)
    expiring: dict[datetime, int] = {}
    for kind, remaining, expires_at in spendable(organization.pk, now).values_list(
        "kind", "remaining", "expires_at"
    ):
        by_kind[kind] += remaining
        if expires_at is not None:
            expiring[expires_at] = expiring.get(expires_at, 0) + remaining
    next_expiry = min(expiring) if expiring else None
    return Balance(
        total=sum(by_kind.values()),
        subscription=by_kind[LotKind.SUBSCRIPTION],
        payg=by_kind[LotKind.PAYG],
        promo=by_kind[LotKind.PROMO],
        next_expiry=next_expiry,
        next_expiry_amount=expiring[next_expiry] if next_expiry else 0,
    )


def credit_lots_live(*, organization: Organization, now: datetime | None = None) -> list[CreditLot]:
    """The lots a debit can draw from, in the order it draws."""
    return list(spendable_lots(organization.pk, now if now is not None else timezone.now()))


def credit_book_balance(*, organization: Organization) -> int:
    """Credits held in lots, lapsed ones included until `expire` closes them."""
    return int(
        CreditLot.objects.filter(organization=organization).aggregate(total=Sum("remaining"))[
            "total"
        ]
        or 0
    )


def ledger_sum(*, organization: Organization) -> int:
    return int(
        LedgerEntry.objects.filter(organization=organization).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )


def ledger_page_get(
    *,
    organization: Organization,
    kind: str | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int = LEDGER_PAGE_SIZE,
) -> KeysetPage[LedgerEntry]:
    """One page of an organization's ledger, newest first, by keyset so that page 1,000 costs
    as much as page 1."""
    rows = LedgerEntry.objects.filter(organization=organization).select_related("actor")
    if kind:
        if kind not in EntryKind.values:
            raise ValueError(f"Unknown entry kind: {kind}")
        rows = rows.filter(kind=kind)
    return keyset_page(rows, before=before, after=after, size=size)


def ledger_entries_iter(*, organization: Organization) -> Iterator[LedgerEntry]:
    """Every entry of an organization, oldest first, streamed from the database in chunks."""
    return (
        LedgerEntry.objects.filter(organization=organization)
        .select_related("actor")
        .order_by("id")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
