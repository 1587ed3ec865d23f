"""The ledger's two rules, written once: which lots a debit may spend, and in what order.

A lot is spendable while it holds credits and its expiry, if any, has not passed (even before
`credits_expire` has written its expiry entry). Debits spend lots that expire first, soonest
first (subscription lots first among equals), then permanent lots, oldest first.

Each rule is declared here in every form its readers need side by side: a Django filter and
ordering for the ORM path and the admin, a sort key for lots already in memory, and SQL for the
debit function beside the ledger (`credits/sql.py`). The tests check that the forms agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, F, IntegerField, OrderBy, Q, QuerySet, Value, When

from quickscale.apps.credits.models import CreditLot, LotKind


def spendable_q(now: datetime, prefix: str = "") -> Q:
    """Lots with credits left whose expiry has not passed; `prefix` reaches them through a
    relation (e.g. "credit_lots__" from an organization)."""
    return Q(**{f"{prefix}remaining__gt": 0}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
    )


# The same condition over the lots table; %(now)s is the moment compared with.
SPENDABLE_SQL = "remaining > 0 AND (expires_at IS NULL OR expires_at > %(now)s)"


@dataclass(frozen=True)
class OrderTerm:
    sql: str
    orm: Callable[[], OrderBy]
    key: Callable[[CreditLot], Any]


def _subscription_last() -> Case:
    return Case(
        When(kind=LotKind.SUBSCRIPTION, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


SPENDING_ORDER: tuple[OrderTerm, ...] = (
    OrderTerm(
        "expires_at ASC NULLS LAST",
        lambda: F("expires_at").asc(nulls_last=True),
        lambda lot: (lot.expires_at is None, lot.expires_at),
    ),
    OrderTerm(
        f"kind <> '{LotKind.SUBSCRIPTION.value}'",
        lambda: _subscription_last().asc(),
        lambda lot: lot.kind != LotKind.SUBSCRIPTION,
    ),
    OrderTerm("created_at", lambda: F("created_at").asc(), lambda lot: lot.created_at),
    OrderTerm("id", lambda: F("id").asc(), lambda lot: lot.pk),
)

SPENDING_ORDER_SQL = ", ".join(term.sql for term in SPENDING_ORDER)


def spending_order(lot: CreditLot) -> tuple[Any, ...]:
    """A sort key that puts lots in memory in the order debits spend them."""
    return tuple(term.key(lot) for term in SPENDING_ORDER)


def spendable(organization_id: int, now: datetime) -> QuerySet[CreditLot]:
    """An organization's spendable lots, in no particular order."""
    return CreditLot.objects.filter(spendable_q(now), organization_id=organization_id)


def spendable_lots(organization_id: int, now: datetime) -> QuerySet[CreditLot]:
    """An organization's spendable lots in the order debits spend them."""
    return spendable(organization_id, now).order_by(*(term.orm() for term in SPENDING_ORDER))
