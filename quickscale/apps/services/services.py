"""Running a paid service: charge first, run, refund on failure, record everything."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import DatabaseError, transaction
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.api.models import ApiKey
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_refund
from quickscale.apps.services.charge import ChargeRequest, charge, savepoint_if_in_transaction
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.db import update_fields
from quickscale.exceptions import (
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
    user: User,
    name: str,
    data: Any,
    api_key: ApiKey | None = None,
    idempotency_key: str | None = None,
) -> RunOutcome:
    """Run a service for `user`.

    The cost is debited (through the credit ledger, see `charge`) before `run()`; a run that
    raises is refunded. With an idempotency key, a retry returns the first run and charges
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
    charged = charge(
        ChargeRequest(
            user=user,
            service=name,
            cost=service.cost_for(data),
            input_size=len(json.dumps(data)),
            request_hash=_request_hash(name, data),
            reference=uuid.uuid4().hex,
            api_key=api_key,
            idempotency_key=idempotency_key or None,
        )
    )
    run = charged.run
    if charged.replayed:
        return RunOutcome(run, True, credit_balance_get(user=user).total)
    started = time.monotonic()
    try:
        run.result = service.run(data)
        run.status = RunStatus.SUCCEEDED
    except Exception as error:
        logger.exception("Service %s failed on run %s", name, run.pk)
        _fail(run, name, type(error).__name__)
    run.duration_ms = int((time.monotonic() - started) * 1000)
    using = run._state.db or "default"
    try:
        with savepoint_if_in_transaction(using):
            update_fields(run, OUTCOME_FIELDS)
    except (DatabaseError, TypeError, ValueError) as error:
        # A result the database cannot store (not JSON, or a NUL character PostgreSQL refuses):
        # the customer gets nothing usable, so the run failed and its credits go back.
        if run.status == RunStatus.FAILED:
            raise
        logger.exception("Service %s returned a result run %s cannot store", name, run.pk)
        run.result = None
        _fail(run, name, type(error).__name__)
        update_fields(run, OUTCOME_FIELDS)
    if charged.balance is None or run.status == RunStatus.FAILED:
        return RunOutcome(run, False, credit_balance_get(user=user).total)
    return RunOutcome(run, False, charged.balance)


def _fail(run: ServiceRun, name: str, error: str) -> None:
    run.status = RunStatus.FAILED
    run.error = error
    debit = run.debit
    if debit is not None:
        run.refund = credits_refund(
            entry=debit,
            idempotency_key=f"service-refund:{run.pk}",
            description=f"{name} failed",
        )


ABANDONED = "Abandoned"


def service_runs_recover(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Fail and refund runs still marked running after `older_than`: their server stopped (a
    worker killed at its timeout, a crash) between the debit and recording the outcome. Returns
    how many. Safe to run repeatedly and concurrently: the refund's idempotency key is the one
    the run itself would have used, so a run refunded before its server stopped is not refunded
    twice, and a run another sweeper is closing is skipped."""
    cutoff = (now or timezone.now()) - older_than
    recovered = 0
    stale = ServiceRun.objects.filter(status=RunStatus.RUNNING, created_at__lt=cutoff)
    for run_id in stale.order_by("id").values_list("id", flat=True).iterator():
        with transaction.atomic():
            run = (
                ServiceRun.objects.select_for_update(skip_locked=True)
                .filter(pk=run_id, status=RunStatus.RUNNING)
                .first()
            )
            if run is None:
                continue
            _fail(run, run.service, ABANDONED)
            update_fields(run, ["status", "error", "refund"])
        recovered += 1
    return recovered
