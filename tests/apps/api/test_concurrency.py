"""Many paid API calls at once on one account, on PostgreSQL (SQLite serializes every write).

Each thread is its own API client with its own database connection; a barrier releases them
together so their debits really race.
"""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from quickscale.apps.credits.models import EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from tests.orgs import personal

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {"text": "Concurrency is hard, and credits are money."}
KEYWORDS_COST = 2  # the keywords service's cost for a short text


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")
    settings.QUICKSCALE_API_RATE_LIMIT = "100000/m"


@pytest.fixture
def token(customer):
    return api_key_create(organization=personal(customer), user=customer, name="busy").token


def fund(user, amount):
    credits_grant(
        organization=personal(user), amount=amount, kind="payg", idempotency_key=f"fund-{amount}"
    )


def all_at_once(token, calls):
    """Send `calls` (service name, headers) each from its own thread and client, released
    together; return the responses in order."""
    barrier = threading.Barrier(len(calls))

    def call(args):
        name, headers = args
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            return client.post(
                f"/api/v1/services/{name}/run",
                json.dumps(TEXT),
                content_type="application/json",
                **headers,
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(call, calls))


def assert_books_balance(user, expected):
    assert credit_balance_get(organization=personal(user)).total == expected
    assert credit_book_balance(organization=personal(user)) == expected
    assert ledger_sum(organization=personal(user)) == expected


class Failing(BaseService):
    name = "failing_under_load"
    description = "Takes the credits, then fails."
    cost = 3
    input_schema = {"type": "object", "properties": {"text": {"type": "string"}}}

    def run(self, data):
        time.sleep(0.05)  # hold the debit while others spend
        raise RuntimeError("model unavailable")


class Slow(BaseService):
    name = "slow_under_load"
    description = "Takes long enough for retries to arrive while it runs."
    cost = 1
    input_schema = {"type": "object", "properties": {"text": {"type": "string"}}}

    def run(self, data):
        time.sleep(0.3)
        return {"length": len(data["text"])}


@pytest.fixture
def extra_services():
    for service in (Failing, Slow):
        registry.register(service)
    yield
    for service in (Failing, Slow):
        registry._services.pop(service.name)


def test_exactly_the_affordable_calls_succeed_and_nothing_is_charged_twice(customer, token):
    fund(customer, 15)  # seven calls of 2 credits, and 1 credit left over
    responses = all_at_once(token, [("keywords", {})] * 16)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 7, 402: 9}
    for refused in (r for r in responses if r.status_code == 402):
        error = refused.json()["error"]
        assert error["code"] == "insufficient_credits" and error["cost"] == KEYWORDS_COST
        assert error["balance"] < KEYWORDS_COST
    assert_books_balance(customer, 1)
    runs = ServiceRun.objects.filter(user=customer)
    assert runs.count() == 7 and all(r.status == RunStatus.SUCCEEDED for r in runs)
    assert sorted(r.json()["run"] for r in responses if r.status_code == 200) == sorted(
        run.pk for run in runs
    )
    debits = LedgerEntry.objects.filter(organization=personal(customer), kind=EntryKind.DEBIT)
    assert debits.count() == 7 and {run.debit_id for run in runs} == {d.pk for d in debits}


def test_failing_calls_refund_while_others_spend(customer, token, extra_services):
    # Not enough for all (10 x 2 + 8 x 3 = 44), but enough that the first failing call to
    # debit always can: the keywords calls can take at most 20 of the 26.
    fund(customer, 26)
    calls = [("keywords", {})] * 10 + [("failing_under_load", {})] * 8
    responses = all_at_once(token, calls)
    by_service = {
        name: Counter(
            r.status_code for (called, _), r in zip(calls, responses, strict=True) if called == name
        )
        for name in ("keywords", "failing_under_load")
    }
    assert set(by_service["keywords"]) <= {200, 402}
    assert set(by_service["failing_under_load"]) <= {502, 402}
    assert by_service["failing_under_load"][502] >= 1
    succeeded = by_service["keywords"][200]
    assert_books_balance(customer, 26 - KEYWORDS_COST * succeeded)
    failed = ServiceRun.objects.filter(user=customer, status=RunStatus.FAILED)
    assert failed.count() == by_service["failing_under_load"][502]
    assert all(run.refund is not None and run.refund.amount == Failing.cost for run in failed)
    refunds = LedgerEntry.objects.filter(organization=personal(customer), kind=EntryKind.REFUND)
    assert refunds.count() == failed.count()
    assert not ServiceRun.objects.filter(user=customer, status=RunStatus.RUNNING).exists()


def test_concurrent_retries_of_one_idempotency_key_charge_once(customer, token, extra_services):
    fund(customer, 10)
    retries = [("slow_under_load", {"HTTP_IDEMPOTENCY_KEY": "order-42"})] * 12
    responses = all_at_once(token, retries)
    first = [
        r for r in responses if r.status_code == 200 and not r.has_header("Idempotent-Replayed")
    ]
    assert len(first) == 1
    run_id = first[0].json()["run"]
    for response in responses:
        if response is first[0]:
            continue
        if response.status_code == 200:
            assert response["Idempotent-Replayed"] == "true"
            assert response.json()["run"] == run_id
        else:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "request_in_progress"
    assert ServiceRun.objects.filter(user=customer).count() == 1
    assert (
        LedgerEntry.objects.filter(organization=personal(customer), kind=EntryKind.DEBIT).count()
        == 1
    )
    assert_books_balance(customer, 9)


def test_retries_of_a_call_that_spent_the_last_credit_are_not_refused_for_money(
    customer, token, extra_services
):
    fund(customer, 1)  # exactly one call's worth: a retry must not be charged, nor told 402
    retries = [("slow_under_load", {"HTTP_IDEMPOTENCY_KEY": "last-credit"})] * 8
    statuses = Counter(r.status_code for r in all_at_once(token, retries))
    assert statuses[200] >= 1 and set(statuses) <= {200, 409}, statuses
    assert ServiceRun.objects.filter(user=customer).count() == 1
    assert_books_balance(customer, 0)
