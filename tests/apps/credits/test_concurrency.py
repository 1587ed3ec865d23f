"""Many writers on one account at once, on PostgreSQL (SQLite serializes every write anyway)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from quickscale.apps.credits import services
from quickscale.apps.credits.models import EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.exceptions import InsufficientCreditsError
from tests.apps.credits.helpers import NOW
from tests.orgs import personal

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 12


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="busy@example.com")


def all_at_once(count, action):
    """Run `action(i)` in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            return action(index)
        except Exception as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_only_the_affordable_debits_succeed(user):
    services.credits_grant(
        organization=personal(user), amount=100, kind="payg", idempotency_key="g", now=NOW
    )
    results = all_at_once(
        24,
        lambda i: services.credits_consume(
            organization=personal(user), amount=7, idempotency_key=f"d{i}", now=NOW
        ),
    )
    succeeded = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientCreditsError)]
    assert len(succeeded) == 14 and len(refused) == 10
    assert credit_balance_get(organization=personal(user), now=NOW).total == 2
    assert (
        ledger_sum(organization=personal(user))
        == credit_book_balance(organization=personal(user))
        == 2
    )


def test_concurrent_retries_of_one_key_take_effect_once(user):
    services.credits_grant(
        organization=personal(user), amount=50, kind="payg", idempotency_key="g", now=NOW
    )
    results = all_at_once(
        WORKERS,
        lambda i: services.credits_consume(
            organization=personal(user), amount=5, idempotency_key="same", now=NOW
        ),
    )
    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert credit_balance_get(organization=personal(user), now=NOW).total == 45


def test_concurrent_duplicate_grants_grant_once(user):
    results = all_at_once(
        WORKERS,
        lambda i: services.credits_grant(
            organization=personal(user), amount=10, kind="payg", idempotency_key="in_1", now=NOW
        ),
    )
    assert len({r.pk for r in results}) == 1
    assert credit_balance_get(organization=personal(user), now=NOW).total == 10


def test_expire_racing_with_debits_never_spends_expired_credits(user):
    services.credits_grant(
        organization=personal(user),
        amount=50,
        kind="subscription",
        expires_at=NOW + timedelta(days=1),
        idempotency_key="sub",
        now=NOW,
    )
    services.credits_grant(
        organization=personal(user), amount=20, kind="payg", idempotency_key="payg", now=NOW
    )
    later = NOW + timedelta(days=2)

    def action(i):
        if i % 2:
            return services.credits_expire(now=later)
        return services.credits_consume(
            organization=personal(user), amount=5, idempotency_key=f"d{i}", now=later
        )

    results = all_at_once(16, action)
    debits = [r for r in results if isinstance(r, LedgerEntry)]
    assert len(debits) == 4
    assert sum(r for r in results if isinstance(r, int)) == 1  # one expiry, written once
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRY).get().amount == -50
    assert credit_balance_get(organization=personal(user), now=later).total == 0
    assert (
        ledger_sum(organization=personal(user))
        == credit_book_balance(organization=personal(user))
        == 0
    )
