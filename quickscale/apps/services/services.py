"""Running a paid service: charge first, run, refund on failure, record everything."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from typing import Any

from django.db import IntegrityError, transaction

from quickscale.apps.accounts.models import User
from quickscale.apps.api.models import ApiKey
from quickscale.apps.credits.services import credits_consume, credits_refund
from quickscale.apps.services.models import RunStatus, ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.exceptions import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidServiceInputError,
    RunInProgressError,
    ServiceNotAllowedError,
    ServiceUnavailableError,
)

logger = logging.getLogger(__name__)


def _request_hash(name: str, data: Any) -> str:
    return hashlib.sha256(json.dumps([name, data], sort_keys=True).encode()).hexdigest()


def service_enabled(name: str) -> bool:
    return not ServiceConfig.objects.filter(name=name, enabled=False).exists()


def _replay(user: User, idempotency_key: str, request_hash: str) -> ServiceRun | None:
    run = ServiceRun.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if run is None:
        return None
    if run.request_hash != request_hash:
        raise IdempotencyConflictError(
            f"The Idempotency-Key {idempotency_key!r} was used for a different request."
        )
    if run.status == RunStatus.RUNNING:
        raise RunInProgressError("A request with this Idempotency-Key is still running.")
    return run


def service_run(
    *,
    user: User,
    name: str,
    data: Any,
    api_key: ApiKey | None = None,
    idempotency_key: str | None = None,
) -> tuple[ServiceRun, bool]:
    """Run a service for `user`; return the run and whether it is a replay of an earlier one.

    The cost is debited (through the ledger's idempotent services) before `run()`; a run that
    raises is refunded. With an idempotency key, a retry returns the first run and charges
    nothing more.
    """
    service = registry.get(name)
    if service is None or not service_enabled(name):
        raise ServiceUnavailableError(f"There is no service named {name!r}.")
    if api_key is not None and not api_key.allows(name):
        raise ServiceNotAllowedError(f"This API key may not run {name!r}.")
    if errors := service.validate(data):
        raise InvalidServiceInputError(
            "The input does not fit the service's schema.", fields=errors
        )
    request_hash = _request_hash(name, data)
    if idempotency_key and (earlier := _replay(user, idempotency_key, request_hash)):
        return earlier, True
    cost = service.cost_for(data)
    reference = uuid.uuid4().hex
    try:
        with transaction.atomic():
            debit = None
            if cost:
                debit = credits_consume(
                    user=user,
                    amount=cost,
                    idempotency_key=f"service-run:{reference}",
                    description=name,
                    api_key=api_key,
                    metadata={"service": name, "reference": reference},
                )
            run = ServiceRun.objects.create(
                user=user,
                api_key=api_key,
                service=name,
                cost=cost,
                input_size=len(json.dumps(data)),
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
                debit=debit,
            )
    except (IntegrityError, InsufficientCreditsError):
        # Another request with this Idempotency-Key won the race (and maybe spent the credits
        # this one waited for); this one's debit rolled back, and the first run answers.
        if idempotency_key and (earlier := _replay(user, idempotency_key, request_hash)):
            return earlier, True
        raise
    started = time.monotonic()
    try:
        result = service.run(data)
    except Exception as error:
        logger.exception("Service %s failed on run %s", name, run.pk)
        run.status = RunStatus.FAILED
        run.error = type(error).__name__
        if run.debit is not None:
            run.refund = credits_refund(
                entry=run.debit,
                idempotency_key=f"service-refund:{run.pk}",
                description=f"{name} failed",
            )
    else:
        run.status = RunStatus.SUCCEEDED
        run.result = result
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save(update_fields=["status", "error", "refund", "result", "duration_ms"])
    return run, False
