"""Members of one organization spending its credits at once, each through their own key, on
PostgreSQL (SQLite serializes every write): the organization's row is the ledger's lock, so
exactly the affordable calls succeed, nothing is charged twice, and the members' personal
balances, spent at the same moment through their personal keys, never mix with the team's."""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from quickscale.apps.credits.models import EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.models import RunStatus, ServiceRun
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {"text": "Teams share one balance."}
COST = 2  # the keywords service's cost for a short text
MEMBERS = 4
CALLS_EACH = 4  # through the team key and through the personal key, each


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")
    settings.QUICKSCALE_API_RATE_LIMIT = "100000/m"


def fund(organization, amount):
    credits_grant(
        organization=organization, amount=amount, kind="payg", idempotency_key=f"f{organization.pk}"
    )


def all_at_once(calls):
    """Each (token, label) call from its own thread, client and connection, released together."""
    barrier = threading.Barrier(len(calls))

    def call(args):
        token, label = args
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/services/keywords/run", json.dumps(TEXT), content_type="application/json"
            )
            return label, response
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(call, calls))


def books(organization):
    return (
        credit_balance_get(organization=organization).total,
        credit_book_balance(organization=organization),
        ledger_sum(organization=organization),
    )


def test_members_spending_one_balance_at_once_get_exactly_the_affordable_calls():
    users = [
        get_user_model().objects.create_user(email=f"m{n}@example.com") for n in range(MEMBERS)
    ]
    acme = team(users[0], "Acme", member=users[1:])
    fund(acme, 5 * COST + 1)  # 5 of the 16 team calls, and 1 credit left over
    team_keys = [api_key_create(organization=acme, user=u, name="team").token for u in users]
    own_keys = []
    for n, user in enumerate(users):
        fund(personal(user), (n + 1) * COST)  # member n can afford n + 1 of their own calls
        own_keys.append(api_key_create(organization=personal(user), user=user, name="own").token)
    calls = [(key, ("team", n)) for n, key in enumerate(team_keys) for _ in range(CALLS_EACH)] + [
        (key, ("own", n)) for n, key in enumerate(own_keys) for _ in range(CALLS_EACH)
    ]
    answers = all_at_once(calls)

    team_statuses = Counter(r.status_code for (kind, _), r in answers if kind == "team")
    assert team_statuses == {200: 5, 402: MEMBERS * CALLS_EACH - 5}
    assert books(acme) == (1, 1, 1)
    for n, user in enumerate(users):
        own = Counter(r.status_code for (kind, m), r in answers if kind == "own" and m == n)
        assert (own[200], own[402]) == (n + 1, CALLS_EACH - n - 1)
        assert books(personal(user)) == (0, 0, 0)
    for organization in [acme, *(personal(u) for u in users)]:
        runs = ServiceRun.objects.filter(organization=organization)
        debits = LedgerEntry.objects.filter(organization=organization, kind=EntryKind.DEBIT)
        assert all(run.status == RunStatus.SUCCEEDED for run in runs)
        assert {run.debit_id for run in runs} == set(debits.values_list("pk", flat=True))
        assert all(d.actor_id in {u.pk for u in users} for d in debits)
    succeeded = {r.json()["run"] for _, r in answers if r.status_code == 200}
    assert succeeded == set(ServiceRun.objects.values_list("pk", flat=True))
