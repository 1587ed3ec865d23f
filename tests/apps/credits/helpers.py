"""Shortcuts for credit tests: a fixed clock and fresh idempotency keys."""

import itertools
from datetime import UTC, datetime, timedelta

from quickscale.apps.credits import services
from tests.orgs import personal

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
_keys = itertools.count()


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def grant(user, amount, kind="payg", *, expires_in=None, now=NOW, **extra):
    expires_at = now + expires_in if expires_in is not None else None
    return services.credits_grant(
        organization=personal(user),
        amount=amount,
        kind=kind,
        expires_at=expires_at,
        idempotency_key=extra.pop("idempotency_key", key("grant")),
        now=now,
        **extra,
    )


def consume(user, amount, *, now=NOW, **extra):
    return services.credits_consume(
        organization=personal(user),
        amount=amount,
        idempotency_key=extra.pop("idempotency_key", key("debit")),
        now=now,
        **extra,
    )


DAY = timedelta(days=1)
MONTH = timedelta(days=30)
