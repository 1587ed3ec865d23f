"""Paid calls racing `recover` on PostgreSQL: slow runs around their deadline, a sweeper that
never stops, and afterwards the ledger holds exactly what the answered calls cost.

Each caller is its own thread with its own connection; the sweeper is another. Durations are
spread around the deadline, so every interleaving happens in each round: runs done in time,
runs that finish late and refuse their own result, runs the sweeper fails while they still run
(their result then refused by the outcome's conditional write), and the sweeper and a run
closing the same run at once. The sweeper's clock runs ahead of the callers', as another
machine's may, so it also fails runs that are about to record a result in time.
"""

import collections
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from quickscale.apps.credits.models import EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import RunError, RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.apps.services.services import service_runs_recover
from tests.orgs import personal

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = 16
ROUNDS = 4
FUNDS = 1_000


class Dawdling(BaseService):
    name = "dawdling"
    description = "Sleeps as long as it is told, around its deadline."
    cost = 3
    timeout = 0.6
    input_schema = {"type": "object", "properties": {"seconds": {"type": "number"}}}

    def run(self, data):
        time.sleep(data["seconds"])
        return {"slept": data["seconds"]}


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")
    settings.QUICKSCALE_API_RATE_LIMIT = "100000/m"
    registry.register(Dawdling)
    yield
    registry._services.pop(Dawdling.name)


@pytest.fixture
def customer():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email="racer@example.com")


def sweep_until(done: threading.Event, seed: int) -> None:
    # The sweeper's clock runs up to 400 ms ahead of the callers' (another machine): it fails
    # runs that are still inside their own deadline, and whose result is coming. It pauses
    # between sweeps, so runs that finish late also get to close themselves.
    chance = random.Random(seed)
    try:
        while not done.is_set():
            ahead = chance.choice([0.0, chance.uniform(0, 0.4)])
            service_runs_recover(now=timezone.now() + timedelta(seconds=ahead))
            time.sleep(chance.uniform(0, 0.3))
    finally:
        connections.close_all()


def callers_at_once():
    """As many calls at once as one server process runs: with the connection pool, one a
    pooled connection (the sweeper holds another), as gunicorn's threads are sized to it."""
    pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
    if not pool:
        return CALLS
    size = pool.get("max_size", 4) if isinstance(pool, dict) else 4
    return max(2, min(CALLS, size - 1))


def call(token, seconds):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    try:
        return client.post(
            f"/api/v1/services/{Dawdling.name}/run",
            json.dumps({"seconds": seconds}),
            content_type="application/json",
        )
    finally:
        connections.close_all()


def race(customer, seed):
    """One round: the calls all at once, with the sweeper running; returns how the runs
    ended, after checking every answer against its run and the ledger against the runs."""
    token = api_key_create(
        organization=personal(customer), user=customer, name=f"racer-{seed}"
    ).token
    chance = random.Random(seed)
    bands = [0.0, 0.3, 0.5, 0.65, 0.9]  # seconds: in time, close, just late, late
    durations = [chance.choice(bands) + chance.uniform(0, 0.1) for _ in range(CALLS)]
    done = threading.Event()
    sweeper = threading.Thread(target=sweep_until, args=(done, seed))
    sweeper.start()
    try:
        with ThreadPoolExecutor(max_workers=callers_at_once()) as pool:
            responses = list(pool.map(lambda seconds: call(token, seconds), durations))
    finally:
        done.set()
        sweeper.join()

    runs = {run.pk: run for run in ServiceRun.objects.filter(api_key__name=f"racer-{seed}")}
    assert len(runs) == CALLS
    assert not any(run.status == RunStatus.RUNNING for run in runs.values())
    for response in responses:
        assert response.status_code in (200, 504), response.content
        body = response.json()
        if response.status_code == 200:
            run = runs[body["run"]]
            assert run.status == RunStatus.SUCCEEDED and run.refund_id is None
            assert body["result"] == run.result
        else:
            run = runs[body["error"]["run"]]
            assert run.timed_out and run.refund_id is not None and run.result is None
            assert "result" not in body
    assert sum(response.status_code == 200 for response in responses) == sum(
        run.status == RunStatus.SUCCEEDED for run in runs.values()
    )
    return collections.Counter(run.error or "succeeded" for run in runs.values())


def test_debits_equal_the_answered_calls_costs_whatever_recover_does(customer):
    credits_grant(
        organization=personal(customer), amount=FUNDS, kind="payg", idempotency_key="fund"
    )
    outcomes = collections.Counter()
    for seed in range(ROUNDS):
        outcomes += race(customer, seed)

        succeeded = ServiceRun.objects.filter(user=customer, status=RunStatus.SUCCEEDED)
        net_debits = -LedgerEntry.objects.filter(
            organization=personal(customer), kind__in=[EntryKind.DEBIT, EntryKind.REFUND]
        ).aggregate(total=Sum("amount"))["total"]
        assert net_debits == sum(run.cost for run in succeeded)
        refunds = LedgerEntry.objects.filter(organization=personal(customer), kind=EntryKind.REFUND)
        failed = ServiceRun.objects.filter(user=customer, status=RunStatus.FAILED)
        assert refunds.count() == failed.count()
        assert len({entry.refund_of_id for entry in refunds}) == refunds.count()
        assert credit_balance_get(organization=personal(customer)).total == FUNDS - net_debits
        assert (
            credit_book_balance(organization=personal(customer))
            == ledger_sum(organization=personal(customer))
            == FUNDS - net_debits
        )
    # The rounds really raced: calls answered, results refused late, runs failed by the sweeper.
    assert set(outcomes) == {"succeeded", RunError.DEADLINE_EXCEEDED, RunError.ABANDONED}, outcomes
