"""Charging for a run: under the organization's lock, the idempotency check, the debit and the
run's record are written together, or nothing is.

The debit is the ledger's (`credits_consume`, or on PostgreSQL its PL/pgSQL twin in
`credits/sql.py`); this module only checks the service's switch and the Idempotency-Key and
writes the run. On PostgreSQL that is one round trip: a PL/pgSQL function (installed by
`migrate`, see `install_charge_function`) takes the ledger's lock, checks, calls the ledger's
debit and inserts the run, so the lock is held for one statement and its commit instead of a
dozen round trips. On other databases the ORM path runs.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.credits import sql as ledger_sql
from quickscale.apps.credits.models import MAX_CREDITS
from quickscale.apps.credits.services import (
    consume_request_hash,
    credits_account_lock,
    credits_consume,
)
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.services.models import RunStatus, ServiceConfig, ServiceRun
from quickscale.exceptions import (
    ApiKeyRevokedError,
    CreditLimitError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidCreditRequestError,
    OrganizationPermissionError,
    RunInProgressError,
    ServiceUnavailableError,
)

logger = logging.getLogger(__name__)

# Bump the version whenever the function's arguments, results or rules change: code and
# database then never disagree about it, even between a deploy and its `migrate`.
FUNCTION_FAMILY = "quickscale_service_charge"
FUNCTION_NAME = f"{FUNCTION_FAMILY}_v4"
FUNCTION_SIGNATURE = (
    f"{FUNCTION_NAME}(bigint, bigint, bigint, text, bigint, integer, text, text, text, text, "
    "jsonb, timestamptz, timestamptz)"
)
CALL_SQL = (
    f"SELECT * FROM {FUNCTION_NAME}"  # noqa: S608
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
)
# Every function the charge calls, its own and the ledger's.
REQUIRED_SIGNATURES = (FUNCTION_SIGNATURE, *ledger_sql.SIGNATURES)
MISSING_FUNCTION_RECHECK = 30.0  # seconds between looks for a function `migrate` has not made

_function_seen: dict[str, bool] = {}
_function_checked_at: dict[str, float] = {}


@dataclass(frozen=True)
class Charge:
    run: ServiceRun
    replayed: bool
    balance: int | None  # after the debit; None for a replay (read it when needed)


@dataclass(frozen=True)
class ChargeRequest:
    organization: Organization
    user: User  # the member running it
    service: str
    cost: int
    input_size: int
    request_hash: str
    reference: str
    deadline: datetime
    api_key: ApiKey | None = None
    idempotency_key: str | None = None

    @property
    def entry_key(self) -> str:
        return f"service-run:{self.reference}"

    @property
    def entry_hash(self) -> str:
        return consume_request_hash(self.cost)

    @property
    def metadata(self) -> dict[str, str]:
        return {"service": self.service, "reference": self.reference}


def charge(request: ChargeRequest, *, now: datetime | None = None) -> Charge:
    """Debit the run's cost and record the run (status running), or replay the run an earlier
    request with the same Idempotency-Key recorded."""
    if isinstance(request.cost, bool) or not isinstance(request.cost, int) or request.cost < 0:
        raise ValueError(
            f"The cost of {request.service!r} is {request.cost!r}; a cost is a whole number of "
            "credits, 0 or more (check the service's cost or cost_for())."
        )
    if request.cost > MAX_CREDITS:
        raise CreditLimitError(
            f"This input would cost {request.cost:,} credits, over the most an account can "
            f"hold ({MAX_CREDITS:,}); send a smaller input.",
            maximum=MAX_CREDITS,
        )
    now = now if now is not None else timezone.now()
    using = router.db_for_write(ServiceRun)
    if _function_ready(using):
        return _charge_postgresql(request, now, using)
    return _charge_orm(request, now, using)


def _function_ready(using: str) -> bool:
    """Whether `using` is PostgreSQL with this version of the function. Until `migrate` has made
    it (a deploy that serves before it migrates), the ORM path charges instead."""
    database = connections[using]
    if database.vendor != "postgresql":
        return False
    if _function_seen.get(using):
        return True
    checked = _function_checked_at.get(using)
    if checked is not None and time.monotonic() - checked < MISSING_FUNCTION_RECHECK:
        return False
    with database.cursor() as cursor:
        checks = " AND ".join(["to_regprocedure(%s) IS NOT NULL"] * len(REQUIRED_SIGNATURES))
        cursor.execute(f"SELECT {checks}", list(REQUIRED_SIGNATURES))
        (found,) = cursor.fetchone()
    _function_checked_at[using] = time.monotonic()
    if found:
        _function_seen[using] = True
    else:
        logger.warning(
            "The database has no %s: paid calls are charged through the ORM, more slowly. "
            "Run `python manage.py migrate` to create it.",
            FUNCTION_NAME,
        )
    return bool(found)


def _replay(run: ServiceRun, request_hash: str, idempotency_key: str) -> Charge:
    if run.request_hash != request_hash:
        raise IdempotencyConflictError(
            f"The Idempotency-Key {idempotency_key!r} was used for a different request."
        )
    if run.status == RunStatus.RUNNING:
        raise RunInProgressError("A request with this Idempotency-Key is still running.")
    return Charge(run=run, replayed=True, balance=None)


def _unavailable(name: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(f"There is no service named {name!r}.")


def _charge_orm(request: ChargeRequest, now: datetime, using: str) -> Charge:
    with transaction.atomic(using=using):
        switched_off = ServiceConfig.objects.using(using).filter(
            name=request.service, enabled=False
        )
        if switched_off.exists():
            raise _unavailable(request.service)
        organization = request.organization
        credits_account_lock(organization.pk)
        _check_caller(request, using)
        if request.idempotency_key:
            earlier = (
                ServiceRun.objects.using(using)
                .filter(
                    organization=organization,
                    user=request.user,
                    idempotency_key=request.idempotency_key,
                )
                .first()
            )
            if earlier is not None:
                return _replay(earlier, request.request_hash, request.idempotency_key)
        debit = None
        if request.cost:
            debit = credits_consume(
                organization=organization,
                actor=request.user,
                amount=request.cost,
                idempotency_key=request.entry_key,
                description=request.service,
                api_key=request.api_key,
                metadata=request.metadata,
                now=now,
            )
        run = _new_run(request, now, debit.pk if debit is not None else None)
        run.save(using=using)
        return Charge(run=run, replayed=False, balance=None)


def _check_caller(request: ChargeRequest, using: str) -> None:
    """Under the organization's lock: the key is still unrevoked (a call with it may have been
    authenticated just before its maker was removed), or, without a key, the user is still a
    member. Removal revokes keys and deletes memberships under the same lock."""
    if request.api_key is not None:
        if (
            not ApiKey.objects.using(using)
            .filter(pk=request.api_key.pk, revoked_at__isnull=True)
            .exists()
        ):
            raise _revoked()
    elif (
        not Membership.objects.using(using)
        .filter(organization_id=request.organization.pk, user_id=request.user.pk)
        .exists()
    ):
        raise _not_a_member()


def _revoked() -> ApiKeyRevokedError:
    return ApiKeyRevokedError("The API key has been revoked.")


def _not_a_member() -> OrganizationPermissionError:
    return OrganizationPermissionError("You are no longer a member of this organization.")


def _new_run(request: ChargeRequest, now: datetime, debit_id: int | None) -> ServiceRun:
    return ServiceRun(
        organization=request.organization,
        user=request.user,
        api_key=request.api_key,
        service=request.service,
        status=RunStatus.RUNNING,
        cost=request.cost,
        input_size=request.input_size,
        idempotency_key=request.idempotency_key or None,
        request_hash=request.request_hash,
        debit_id=debit_id,
        created_at=now,
        deadline=request.deadline,
    )


def _charge_postgresql(request: ChargeRequest, now: datetime, using: str) -> Charge:
    database = connections[using]
    # In autocommit the statement is its own transaction; inside someone's atomic block, a
    # savepoint keeps a failure here (a deadlock, a lock timeout) from aborting theirs.
    with savepoint_if_in_transaction(using), database.cursor() as cursor:
        cursor.execute(
            CALL_SQL,
            [
                request.organization.pk,
                request.user.pk,
                request.api_key.pk if request.api_key is not None else None,
                request.service,
                request.cost,
                request.input_size,
                request.idempotency_key or None,
                request.request_hash,
                request.entry_key,
                request.entry_hash,
                json.dumps(request.metadata),
                now,
                request.deadline,
            ],
        )
        outcome, run_id, entry_id, balance = cursor.fetchone()
    if outcome == "charged":
        run = _new_run(request, now, entry_id)
        run.pk = run_id
        run._state.adding = False
        run._state.db = using
        return Charge(run=run, replayed=False, balance=balance)
    if outcome == "replay":
        assert request.idempotency_key
        return _replay(
            ServiceRun.objects.using(using).get(pk=run_id),
            request.request_hash,
            request.idempotency_key,
        )
    if outcome == "insufficient":
        raise InsufficientCreditsError(balance=balance, requested=request.cost)
    if outcome == "disabled":
        raise _unavailable(request.service)
    if outcome == "revoked":
        raise _revoked()
    if outcome == "not_member":
        raise _not_a_member()
    raise InvalidCreditRequestError(f"Unknown organization: {request.organization.pk}.")


def _function_sql() -> str:
    def table(model: Any) -> str:
        return str(model._meta.db_table)

    return f"""
CREATE FUNCTION {FUNCTION_NAME}(
    p_organization bigint, p_user bigint, p_api_key bigint, p_service text, p_cost bigint,
    p_input_size integer, p_idempotency_key text, p_request_hash text, p_entry_key text,
    p_entry_hash text, p_metadata jsonb, p_now timestamptz, p_deadline timestamptz,
    OUT outcome text, OUT run_id bigint, OUT entry_id bigint, OUT balance bigint
) LANGUAGE plpgsql VOLATILE AS $body$
DECLARE
    found_hash text;
BEGIN
    IF p_cost IS NULL OR p_cost < 0 THEN
        RAISE EXCEPTION 'A cost is 0 or more credits, not %', p_cost;
    END IF;
    IF EXISTS (
        SELECT 1 FROM {table(ServiceConfig)} WHERE name = p_service AND NOT enabled
    ) THEN
        outcome := 'disabled';
        RETURN;
    END IF;
    IF NOT {ledger_sql.LOCK_FUNCTION}(p_organization) THEN
        outcome := 'unknown_organization';
        RETURN;
    END IF;
    -- As _check_caller: removal revokes keys and deletes memberships under the same lock.
    IF p_api_key IS NOT NULL THEN
        PERFORM 1 FROM {table(ApiKey)} WHERE id = p_api_key AND revoked_at IS NULL;
        IF NOT FOUND THEN
            outcome := 'revoked';
            RETURN;
        END IF;
    ELSE
        PERFORM 1 FROM {table(Membership)}
        WHERE organization_id = p_organization AND user_id = p_user;
        IF NOT FOUND THEN
            outcome := 'not_member';
            RETURN;
        END IF;
    END IF;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT id, request_hash INTO run_id, found_hash FROM {table(ServiceRun)}
        WHERE organization_id = p_organization AND user_id = p_user
          AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            outcome := 'replay';
            RETURN;
        END IF;
    END IF;
    SELECT d.entry_id, d.balance INTO entry_id, balance FROM {ledger_sql.DEBIT_FUNCTION}(
        p_organization, p_user, p_api_key, p_cost, p_service, p_metadata, p_entry_key,
        p_entry_hash, p_now
    ) AS d;
    IF balance < p_cost THEN
        outcome := 'insufficient';
        RETURN;
    END IF;
    balance := balance - p_cost;
    INSERT INTO {table(ServiceRun)} (
        organization_id, user_id, api_key_id, service, status, cost, input_size, duration_ms,
        debit_id, refund_id, idempotency_key, request_hash, result, error, created_at, deadline
    ) VALUES (
        p_organization, p_user, p_api_key, p_service, '{RunStatus.RUNNING.value}', p_cost,
        p_input_size, NULL, entry_id, NULL, p_idempotency_key, p_request_hash, NULL, '', p_now,
        p_deadline
    ) RETURNING id INTO run_id;
    outcome := 'charged';
END
$body$;
"""  # noqa: S608


def install_charge_function(using: str = "default", **kwargs: Any) -> None:
    """Create the charge function, replacing every earlier version; a post_migrate receiver, so
    every `migrate` leaves the database with exactly the function this code calls."""
    database: BaseDatabaseWrapper = connections[using]
    if database.vendor != "postgresql" or not router.allow_migrate_model(using, ServiceRun):
        return
    ledger_sql.install_functions(FUNCTION_FAMILY, _function_sql(), using=using)
    _function_seen.pop(using, None)
    _function_checked_at.pop(using, None)


def savepoint_if_in_transaction(using: str) -> AbstractContextManager[Any]:
    """A savepoint inside someone's transaction; nothing (no extra round trips) in autocommit."""
    if connections[using].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()
