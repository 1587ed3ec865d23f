"""Every write to credits. Each runs in one transaction under a lock on the organization's row,
takes an idempotency key, and either changes everything it should or nothing.

Retrying with the same key returns the first entry and changes nothing; the same key with other
arguments raises IdempotencyConflictError.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from quickscale.apps.keys.models import ApiKey
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.credits.models import (
    MAX_CREDITS,
    Allocation,
    CreditLot,
    EntryKind,
    LedgerEntry,
    LotKind,
)
from quickscale.apps.credits.rules import spendable, spending_order
from quickscale.apps.orgs.models import Organization
from quickscale.exceptions import (
    CreditLimitError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidCreditRequestError,
    RefundError,
)

if TYPE_CHECKING:
    from quickscale.apps.keys.models import ApiKey

IDEMPOTENCY_KEY_MAX_LENGTH = 255
EXPIRE_BATCH_SIZE = 500


def _request_hash(operation: str, **arguments: Any) -> str:
    canonical = json.dumps({"operation": operation, **arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def consume_request_hash(amount: int) -> str:
    """What a debit of `amount` records to tell a retry from another request with its key."""
    return _request_hash("consume", amount=amount)


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidCreditRequestError(
            f"The amount must be a whole number of credits above zero, not {amount!r}."
        )
    if amount > MAX_CREDITS:
        raise CreditLimitError(
            f"The amount {amount:,} is over the maximum of {MAX_CREDITS:,} credits.",
            maximum=MAX_CREDITS,
        )
    return amount


def _check_room(organization_id: int, adding: int, now: datetime) -> None:
    """Refuse what would take the spendable balance past MAX_CREDITS. Call under the lock."""
    # Summed here, not in SQL: an account has a handful of live lots, and a database sum of an
    # account that an older version let past the maximum could itself overflow on SQLite.
    balance = sum(spendable(organization_id, now).values_list("remaining", flat=True))
    if balance + adding > MAX_CREDITS:
        raise CreditLimitError(
            f"This would take the balance to {balance + adding:,} credits, over the maximum of "
            f"{MAX_CREDITS:,}; spend or remove credits first.",
            maximum=MAX_CREDITS,
        )


def _check_key(idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise InvalidCreditRequestError(
            f"An idempotency key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters is required."
        )
    return idempotency_key


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def credits_account_lock(organization_id: int | None) -> None:
    """Serialize every credit write of one organization. `no_key` leaves rows that merely
    reference it (new lots, entries) free to be inserted by others meanwhile."""
    if (
        organization_id is None
        or not Organization.objects.select_for_update(no_key=True)
        .filter(pk=organization_id)
        .exists()
    ):
        raise InvalidCreditRequestError(f"Unknown organization: {organization_id}.")


def _replayed(organization_id: int, idempotency_key: str, request_hash: str) -> LedgerEntry | None:
    found = (
        LedgerEntry.objects.filter(organization_id=organization_id, idempotency_key=idempotency_key)
        .values_list("pk", "request_hash")
        .first()
    )
    if found is None:
        return None
    if found[1] != request_hash:
        raise IdempotencyConflictError(
            f"The idempotency key {idempotency_key!r} was already used for a different request."
        )
    return LedgerEntry.objects.get(pk=found[0])


def _draw(organization_id: int, amount: int, now: datetime) -> list[tuple[CreditLot, int]]:
    """Take `amount` from the spendable lots in spending order; return what was drawn from each.
    An account has a handful of live lots: sorting them here costs less than having the ORM
    build the ordered query."""
    lots = sorted(spendable(organization_id, now), key=spending_order)
    available = sum(lot.remaining for lot in lots)
    if available < amount:
        raise InsufficientCreditsError(balance=available, requested=amount)
    drawn: list[tuple[CreditLot, int]] = []
    left = amount
    for lot in lots:
        if left == 0:
            break
        take = min(left, lot.remaining)
        lot.remaining -= take
        left -= take
        drawn.append((lot, take))
    if len(drawn) == 1:
        lot = drawn[0][0]
        CreditLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining)
    else:
        CreditLot.objects.bulk_update([lot for lot, _ in drawn], ["remaining"])
    return drawn


def _allocate(entry: LedgerEntry, drawn: Iterable[tuple[CreditLot, int]]) -> None:
    Allocation.objects.bulk_create(
        Allocation(entry=entry, lot=lot, amount=taken) for lot, taken in drawn
    )


@transaction.atomic
def credits_grant(
    *,
    organization: Organization,
    amount: int,
    kind: str,
    idempotency_key: str,
    expires_at: datetime | None = None,
    source_type: str = "",
    source_id: str = "",
    description: str = "",
    actor: User | None = None,
    metadata: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Add a lot of `amount` credits. Subscription lots must expire (at their period's end)."""
    now = _now(now)
    _check_amount(amount)
    _check_key(idempotency_key)
    if kind not in LotKind.values:
        raise InvalidCreditRequestError(
            f"Unknown kind {kind!r}; use one of: {', '.join(LotKind.values)}."
        )
    if kind == LotKind.SUBSCRIPTION and expires_at is None:
        raise InvalidCreditRequestError(
            "Subscription credits need an expiry: the end of their billing period."
        )
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise InvalidCreditRequestError("The expiry needs a time zone, e.g. 2030-01-31T00:00Z.")
        if expires_at <= now:
            raise InvalidCreditRequestError(f"The expiry {expires_at.isoformat()} is already past.")
    request_hash = _request_hash(
        "grant",
        amount=amount,
        kind=kind,
        expires_at=expires_at.isoformat() if expires_at else None,
        source_type=source_type,
        source_id=source_id,
    )
    owner = organization.pk
    credits_account_lock(owner)
    if (existing := _replayed(owner, idempotency_key, request_hash)) is not None:
        return existing
    _check_room(owner, amount, now)
    lot = CreditLot.objects.create(
        organization_id=owner,
        kind=kind,
        amount=amount,
        remaining=amount,
        expires_at=expires_at,
        source_type=source_type,
        source_id=source_id,
        created_at=now,
    )
    return LedgerEntry.objects.create(
        organization_id=owner,
        kind=EntryKind.GRANT,
        amount=amount,
        lot=lot,
        description=description,
        actor=actor,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )


@transaction.atomic
def credits_consume(
    *,
    organization: Organization,
    amount: int,
    idempotency_key: str,
    description: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
    metadata: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Debit `amount` credits, all or nothing; raises InsufficientCreditsError otherwise."""
    now = _now(now)
    _check_amount(amount)
    _check_key(idempotency_key)
    request_hash = consume_request_hash(amount)
    owner = organization.pk
    credits_account_lock(owner)
    if (existing := _replayed(owner, idempotency_key, request_hash)) is not None:
        return existing
    drawn = _draw(owner, amount, now)
    entry = LedgerEntry.objects.create(
        organization_id=owner,
        kind=EntryKind.DEBIT,
        amount=-amount,
        description=description,
        actor=actor,
        api_key=api_key,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )
    _allocate(entry, drawn)
    return entry


@transaction.atomic
def credits_refund(
    *,
    entry: LedgerEntry,
    idempotency_key: str,
    amount: int | None = None,
    description: str = "",
    actor: User | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Give back a debit (all of what is left of it, or `amount`) to the lots it came from.

    Credits that return to a lot whose expiry has passed stay expired: they are recorded as
    forfeited in the refund entry's metadata, not added to the balance.
    """
    now = _now(now)
    _check_key(idempotency_key)
    if amount is not None:
        _check_amount(amount)
    owner = entry.organization_id
    request_hash = _request_hash("refund", entry=entry.pk, amount=amount)
    credits_account_lock(owner)
    if (existing := _replayed(owner, idempotency_key, request_hash)) is not None:
        return existing
    if entry.kind != EntryKind.DEBIT:
        raise RefundError(f"Entry {entry.pk} is a {entry.kind}, and only debits can be refunded.")
    allocations = list(entry.allocations.select_related("lot").order_by("-id"))
    refundable = sum(allocation.amount - allocation.refunded for allocation in allocations)
    if refundable == 0:
        raise RefundError(f"Entry {entry.pk} has already been refunded in full.")
    wanted = refundable if amount is None else amount
    if wanted > refundable:
        raise RefundError(f"Entry {entry.pk} has only {refundable} credits left to refund.")
    restored = forfeited = 0
    left = wanted
    for allocation in allocations:
        give = min(left, allocation.amount - allocation.refunded)
        if give == 0:
            continue
        allocation.refunded += give
        left -= give
        if allocation.lot.is_spendable_after_refund(now):
            allocation.lot.remaining += give
            restored += give
        else:
            forfeited += give
    # Refused rather than forfeited: the credits stay refundable once the balance has room.
    _check_room(owner, restored, now)
    Allocation.objects.bulk_update(allocations, ["refunded"])
    CreditLot.objects.bulk_update([allocation.lot for allocation in allocations], ["remaining"])
    return LedgerEntry.objects.create(
        organization_id=owner,
        kind=EntryKind.REFUND,
        amount=restored,
        refund_of=entry,
        description=description or f"Refund of entry {entry.pk}",
        actor=actor,
        metadata={"refunded": wanted, "forfeited": forfeited},
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )


@transaction.atomic
def credits_adjust(
    *,
    organization: Organization,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """An operator's correction: a positive amount adds a permanent promotional lot, a negative
    one removes credits in spending order (never below zero)."""
    now = _now(now)
    _check_key(idempotency_key)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidCreditRequestError(
            f"An adjustment is a whole number of credits other than zero, not {amount!r}."
        )
    _check_amount(abs(amount))
    if not reason.strip():
        raise InvalidCreditRequestError("An adjustment needs a reason.")
    request_hash = _request_hash("adjust", amount=amount)
    owner = organization.pk
    credits_account_lock(owner)
    if (existing := _replayed(owner, idempotency_key, request_hash)) is not None:
        return existing
    lot = None
    drawn: list[tuple[CreditLot, int]] = []
    if amount > 0:
        _check_room(owner, amount, now)
        lot = CreditLot.objects.create(
            organization_id=owner,
            kind=LotKind.PROMO,
            amount=amount,
            remaining=amount,
            source_type="adjustment",
            created_at=now,
        )
    else:
        drawn = _draw(owner, -amount, now)
    entry = LedgerEntry.objects.create(
        organization_id=owner,
        kind=EntryKind.ADJUSTMENT,
        amount=amount,
        lot=lot,
        description=reason.strip(),
        actor=actor,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )
    _allocate(entry, drawn)
    return entry


@transaction.atomic
def credits_clawback(
    *,
    lot: CreditLot,
    amount: int,
    idempotency_key: str,
    description: str = "",
    actor: User | None = None,
    metadata: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Take back `amount` credits of one lot, such as the refunded share of a purchase.

    Only what the lot still holds (and has not expired) is taken, so the balance never goes
    below zero; what was already spent is written on the entry as `debt`, in credits.
    """
    now = _now(now)
    _check_amount(amount)
    _check_key(idempotency_key)
    owner = lot.organization_id
    request_hash = _request_hash("clawback", lot=lot.pk, amount=amount)
    credits_account_lock(owner)
    if (existing := _replayed(owner, idempotency_key, request_hash)) is not None:
        return existing
    current = CreditLot.objects.get(pk=lot.pk)
    holding = current.remaining if current.is_spendable_after_refund(now) else 0
    taken = min(amount, holding)
    if taken:
        CreditLot.objects.filter(pk=current.pk).update(remaining=current.remaining - taken)
    return LedgerEntry.objects.create(
        organization_id=owner,
        kind=EntryKind.CLAWBACK,
        amount=-taken,
        lot=current,
        description=description or f"Clawback of {amount:,} credits of lot {current.pk}",
        actor=actor,
        metadata={**(metadata or {}), "clawback": amount, "taken": taken, "debt": amount - taken},
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )


def credits_expire(*, now: datetime | None = None, batch_size: int = EXPIRE_BATCH_SIZE) -> int:
    """Write an expiry entry for every lapsed lot that still holds credits; returns how many.

    Safe to run repeatedly and concurrently: each lot is closed in its own transaction under
    its organization's lock, and a lot already closed is skipped.
    """
    now = _now(now)
    expired = 0
    after_id = 0
    while True:
        batch = list(
            CreditLot.objects.filter(
                remaining__gt=0, expired_at__isnull=True, expires_at__lte=now, id__gt=after_id
            )
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not batch:
            return expired
        for lot_id in batch:
            expired += _expire_lot(lot_id, now)
        after_id = batch[-1]


@transaction.atomic
def _expire_lot(lot_id: int, now: datetime) -> int:
    organization_id = CreditLot.objects.values_list("organization_id", flat=True).get(pk=lot_id)
    credits_account_lock(organization_id)
    lot = CreditLot.objects.get(pk=lot_id)
    if lot.expired_at is not None or lot.remaining == 0 or lot.expires_at is None:
        return 0
    if lot.expires_at > now:
        return 0
    LedgerEntry.objects.create(
        organization_id=organization_id,
        kind=EntryKind.EXPIRY,
        amount=-lot.remaining,
        lot=lot,
        description=f"{lot.get_kind_display()} credits expired",
        idempotency_key=f"expiry:lot:{lot.pk}",
        request_hash=_request_hash("expire", lot=lot.pk),
        created_at=now,
    )
    lot.remaining = 0
    lot.expired_at = now
    lot.save(update_fields=["remaining", "expired_at"])
    return 1
