"""Running a paid service: charge first, run, refund on failure, record everything."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import DatabaseError, router, transaction
from django.db.models import Q
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_refund
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Organization
from quickscale.apps.services.base import RUN_DEADLINE
from quickscale.apps.services.charge import ChargeRequest, charge, savepoint_if_in_transaction
from quickscale.apps.services.models import RunError, RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.db import update_fields
from quickscale.exceptions import (
    CreditLimitError,
    InvalidServiceInputError,
    ServiceNotAllowedError,
    ServiceUnavailableError,
)

logger = logging.getLogger(__name__)


def _request_hash(name: str, data: Any) -> str:
    return hashlib.sha256(json.dumps([name, data], sort_keys=True).encode()).hexdigest()


OUTCOME_FIELDS = ["status", "error", "refund", "result", "duration_ms"]


class RunOutcome(NamedTuple):
    run: ServiceRun
    replayed: bool  # the first result of an earlier request with this Idempotency-Key
    # The account's spendable credits right after this call's debit (after its refund for a
    # failed run; now, for a replay). Calls running at the same time may have spent more since.
    balance: int


def service_run(
    *,
    organization: Organization,
    user: User,
    name: str,
    data: Any,
    api_key: ApiKey | None = None,
    idempotency_key: str | None = None,
) -> RunOutcome:
    """Run a service for `organization`, by its member `user`.

    The cost is debited (through the credit ledger, see `charge`) before `run()`; a run that
    raises, or that is not done by its deadline (the service's `time_limit()`), is refunded and
    its result discarded. With an idempotency key, a retry returns the first run and charges
    nothing more.
    """
    service = registry.get(name)
    if service is None:
        raise ServiceUnavailableError(f"There is no service named {name!r}.")
    if api_key is not None and not api_key.allows(name):
        raise ServiceNotAllowedError(f"This API key may not run {name!r}.")
    if errors := service.validate(data):
        raise InvalidServiceInputError(
            "The input does not fit the service's schema.", fields=errors
        )
    limit = service.time_limit()
    now, started = timezone.now(), time.monotonic()
    charged = charge(
        ChargeRequest(
            organization=organization,
            user=user,
            service=name,
            cost=service.cost_for(data),
            input_size=len(json.dumps(data)),
            request_hash=_request_hash(name, data),
            reference=uuid.uuid4().hex,
            deadline=now + timedelta(seconds=limit),
            api_key=api_key,
            idempotency_key=idempotency_key or None,
        ),
        now=now,
    )
    run = charged.run
    if charged.replayed:
        return RunOutcome(run, True, credit_balance_get(organization=organization).total)
    deadline = started + limit
    error: str | None = None
    token = RUN_DEADLINE.set(deadline)
    try:
        result = service.run(data)
    except Exception as raised:
        logger.exception("Service %s failed on run %s", name, run.pk)
        error = type(raised).__name__
    finally:
        RUN_DEADLINE.reset(token)
    run.duration_ms = int((time.monotonic() - started) * 1000)
    if error is None and time.monotonic() > deadline:
        logger.warning(
            "Service %s finished run %s after its %s s deadline: result discarded, refunded",
            name,
            run.pk,
            limit,
        )
        error = RunError.DEADLINE_EXCEEDED
    if error is None:
        run.result, run.status = result, RunStatus.SUCCEEDED
        try:
            with savepoint_if_in_transaction(run._state.db or "default"):
                recorded = update_fields(run, OUTCOME_FIELDS, only_if=STILL_RUNNING)
        except (DatabaseError, TypeError, ValueError) as unstorable:
            # A result the database cannot store (not JSON, or a NUL character PostgreSQL
            # refuses): the customer gets nothing usable, so the run failed.
            logger.exception("Service %s returned a result run %s cannot store", name, run.pk)
            error = type(unstorable).__name__
        else:
            if recorded:
                balance = charged.balance
                if balance is None:
                    balance = credit_balance_get(organization=organization).total
                return RunOutcome(run, False, balance)
            # `recover` failed and refunded this run while it ran: its result is not the
            # customer's, whatever it was.
            logger.warning("Service %s run %s was recovered while it ran", name, run.pk)
    closed, _ = _run_fail(run, error=error or RunError.ABANDONED, skip_locked=False)
    assert closed is not None
    return RunOutcome(closed, False, credit_balance_get(organization=organization).total)


STILL_RUNNING = {"status": RunStatus.RUNNING}


def _run_fail(run: ServiceRun, *, error: str, skip_locked: bool) -> tuple[ServiceRun | None, bool]:
    """Mark `run` failed and refund its debit, in one transaction under the run's row lock,
    unless it is no longer running (then the run as it is). Every closer of a run (the call
    itself, `recover`) takes the run's lock before the account's, so they never deadlock, and
    refunds with the same key, so a run is refunded once. Returns the run (None when skipped
    because another closer holds it) and whether this call closed it."""
    using = run._state.db or router.db_for_write(ServiceRun, instance=run)
    with transaction.atomic(using=using):
        locked = (
            ServiceRun.objects.using(using)
            .select_for_update(skip_locked=skip_locked, of=("self",))
            .select_related("debit")
            .filter(pk=run.pk)
            .first()
        )
        if locked is None:
            return None, False
        if locked.status != RunStatus.RUNNING:
            return locked, False
        locked.status, locked.error, locked.result = RunStatus.FAILED, error, None
        if run.duration_ms is not None:
            locked.duration_ms = run.duration_ms
        if locked.debit is not None:
            try:
                locked.refund = credits_refund(
                    entry=locked.debit,
                    idempotency_key=f"service-refund:{locked.pk}",
                    description=f"{locked.service} failed",
                )
            except CreditLimitError:
                # The balance is at the ledger's maximum: the run still ends (failed), and its
                # debit stays refundable with `quickscale_credits refund` once there is room.
                logger.error(
                    "Run %s failed but its debit %s was not refunded: the balance is at the "
                    "maximum. Refund it later with quickscale_credits refund --entry %s.",
                    locked.pk,
                    locked.debit_id,
                    locked.debit_id,
                )
        update_fields(locked, OUTCOME_FIELDS)
    return locked, True


# Runs charged by a server that predates deadlines carry none: they had this long.
UNDATED_RUN_LIMIT = timedelta(minutes=10)


def service_runs_recover(*, now: datetime | None = None) -> int:
    """Fail and refund runs still running after their deadline: their server stopped (a worker
    killed, a crash) between the debit and recording the outcome, or is still at work on a
    result that will be discarded. Returns how many. Safe to run repeatedly and concurrently,
    and beside the runs themselves: a run's own outcome is written only while it is running,
    and every closer refunds with the run's one refund key."""
    now = now or timezone.now()
    stale = ServiceRun.objects.filter(status=RunStatus.RUNNING).filter(
        Q(deadline__lt=now) | Q(deadline__isnull=True, created_at__lt=now - UNDATED_RUN_LIMIT)
    )
    recovered = 0
    for run in stale.order_by("id").only("id").iterator():
        _, closed = _run_fail(run, error=RunError.ABANDONED, skip_locked=True)
        recovered += closed
    return recovered
