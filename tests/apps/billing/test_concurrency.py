"""Every billing event delivered three times at once, on PostgreSQL: one grant, one clawback,
exact balances. Each delivery is a real request in its own thread and database connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from quickscale.apps.billing.models import Purchase
from quickscale.apps.credits.selectors import credit_book_balance, ledger_sum
from tests.apps.billing.conftest import BASIC_CREDITS, PACK_CREDITS, PRO_CREDITS, price_of
from tests.apps.billing.test_flows import balance, buy, subscription_of

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 3


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")


def deliver_at_once(shop):
    """Send every pending event COPIES times in parallel, event after event."""
    pending = list(shop.pending)
    shop.pending.clear()
    statuses = []
    for event in pending:
        barrier = threading.Barrier(COPIES)

        def send(_: int, event=event, barrier=barrier) -> list[int]:
            barrier.wait()
            try:
                return shop.deliver(event)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=COPIES) as pool:
            for result in pool.map(send, range(COPIES)):
                statuses.extend(result)
    return statuses


def test_parallel_duplicates_grant_and_claw_back_once(shop, membership):
    from quickscale.testing.fakestripe import django_client_deliverer

    shop.auto_deliver = False
    # A test client of its own for every delivery: threads share no client state.
    shop.deliverer = lambda *request: django_client_deliverer()(*request)
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    shop.refund(session["payment_intent"], amount=450)
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    shop.change_subscription_price(
        subscription_of(shop)["id"], price_of(shop, shop.products["pro"], "month")
    )
    statuses = deliver_at_once(shop)
    assert set(statuses) == {200}
    assert balance(membership) == PACK_CREDITS // 2 + PRO_CREDITS
    assert Purchase.objects.count() == 3
    assert Purchase.objects.get(kind="upgrade").credits == PRO_CREDITS - BASIC_CREDITS
    organization = membership.organization
    assert ledger_sum(organization=organization) == credit_book_balance(organization=organization)
