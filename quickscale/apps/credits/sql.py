"""The ledger's debit in PL/pgSQL, for callers that charge in one round trip (the service
charge function). It follows `rules.py` (its WHERE and ORDER BY are made from it) and writes
what `credits_consume` writes: the debit entry, its allocations and the lots' new remaining.

`migrate` installs the functions (a post_migrate receiver): every earlier version is dropped
first, so the database holds exactly the ones this code calls. Bump a version whenever a
function's arguments, results or rules change.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router, transaction

from quickscale.apps.credits.models import Allocation, CreditLot, EntryKind, LedgerEntry
from quickscale.apps.credits.rules import SPENDABLE_SQL, SPENDING_ORDER_SQL
from quickscale.apps.orgs.models import Organization

FUNCTION_FAMILY = "quickscale_credits_"
LOCK_FUNCTION = f"{FUNCTION_FAMILY}lock_v1"
DEBIT_FUNCTION = f"{FUNCTION_FAMILY}debit_v1"
SIGNATURES = (
    f"{LOCK_FUNCTION}(bigint)",
    f"{DEBIT_FUNCTION}(bigint, bigint, bigint, bigint, text, jsonb, text, text, timestamptz)",
)


def _table(model: Any) -> str:
    return str(model._meta.db_table)


def _lock_sql() -> str:
    return f"""
CREATE FUNCTION {LOCK_FUNCTION}(p_organization bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $body$
BEGIN
    -- The lock every credit write of the organization takes first (credits_account_lock).
    PERFORM 1 FROM {_table(Organization)} WHERE id = p_organization FOR NO KEY UPDATE;
    RETURN FOUND;
END
$body$;
"""


def _debit_sql() -> str:
    spendable = SPENDABLE_SQL % {"now": "p_now"}
    return f"""
CREATE FUNCTION {DEBIT_FUNCTION}(
    p_organization bigint, p_actor bigint, p_api_key bigint, p_amount bigint,
    p_description text, p_metadata jsonb, p_key text, p_hash text, p_now timestamptz,
    OUT entry_id bigint, OUT balance bigint
) LANGUAGE plpgsql VOLATILE AS $body$
-- Debit p_amount (0 or more) from the organization's spendable lots in spending order. The
-- caller holds {LOCK_FUNCTION}(p_organization) and passes an idempotency key not used before.
-- balance: the spendable credits before the debit; entry_id NULL when they are fewer than
-- p_amount (nothing is written) or p_amount is 0.
DECLARE
    lot record;
    wanted bigint := p_amount;
    take bigint;
BEGIN
    IF p_amount IS NULL OR p_amount < 0 THEN
        RAISE EXCEPTION 'A debit is 0 or more credits, not %', p_amount;
    END IF;
    balance := 0;
    FOR lot IN
        SELECT id, remaining, sum(remaining) OVER () AS available
        FROM {_table(CreditLot)}
        WHERE organization_id = p_organization AND {spendable}
        ORDER BY {SPENDING_ORDER_SQL}
    LOOP
        IF balance = 0 THEN
            balance := lot.available;
            IF balance < p_amount OR p_amount = 0 THEN
                RETURN;
            END IF;
            INSERT INTO {_table(LedgerEntry)} (
                organization_id, kind, amount, description, actor_id, lot_id, api_key_id,
                refund_of_id, metadata, idempotency_key, request_hash, created_at
            ) VALUES (
                p_organization, '{EntryKind.DEBIT.value}', -p_amount, p_description, p_actor,
                NULL, p_api_key, NULL, p_metadata, p_key, p_hash, p_now
            ) RETURNING id INTO entry_id;
        END IF;
        EXIT WHEN wanted = 0;
        take := least(wanted, lot.remaining);
        UPDATE {_table(CreditLot)} SET remaining = remaining - take WHERE id = lot.id;
        INSERT INTO {_table(Allocation)} (entry_id, lot_id, amount, refunded)
        VALUES (entry_id, lot.id, take, 0);
        wanted := wanted - take;
    END LOOP;
END
$body$;
"""  # noqa: S608


def install_functions(family: str, *definitions: str, using: str) -> None:
    """Drop every function whose name starts with `family`, then create `definitions`."""
    database = connections[using]
    with transaction.atomic(using=using), database.cursor() as cursor:
        cursor.execute(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE proname LIKE %s",
            [family.replace("_", "\\_") + "%"],
        )
        for (signature,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION {signature}")
        for definition in definitions:
            cursor.execute(definition)


def install_debit_functions(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: the lock and debit functions, on PostgreSQL."""
    if connections[using].vendor != "postgresql" or not router.allow_migrate_model(
        using, LedgerEntry
    ):
        return
    install_functions(FUNCTION_FAMILY, _lock_sql(), _debit_sql(), using=using)
