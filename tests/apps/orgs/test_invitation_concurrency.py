"""Invitations sent at once from many connections, on PostgreSQL (SQLite serializes every
write): the hourly limit and the one open invitation per address hold, because every sending
runs under the organization's lock."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from quickscale.apps.orgs.invitations import invitation_send
from quickscale.apps.orgs.models import Invitation, InvitationSending
from quickscale.exceptions import InvitationRateLimitError

pytestmark = pytest.mark.django_db(transaction=True)


def senders():
    """As many as the connection pool holds. Each takes its connection after the barrier, so a
    connection another test's thread has not yet given back delays one sender instead of
    breaking the barrier."""
    from django.conf import settings

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool") or {}
    return pool.get("max_size", 4) if isinstance(pool, dict) else 4


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test with DATABASE_URL set)")


def all_at_once(membership, emails):
    """Send one invitation per address, each from its own thread and connection, released
    together; returns "sent" or "limited" for each."""
    barrier = threading.Barrier(len(emails), timeout=30)
    connections.close_all()  # the test's own connection goes back to the pool, for a sender

    def send(email):
        try:
            barrier.wait()
            invitation_send(membership=membership, email=email, role="member", base_url="http://x")
            return "sent"
        except InvitationRateLimitError:
            return "limited"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        return list(pool.map(send, emails))


def test_the_hourly_limit_holds_when_invitations_race(as_member, ada, settings):
    settings.QUICKSCALE_INVITATIONS_PER_HOUR = senders() - 1
    emails = [f"person{number}@example.com" for number in range(senders())]
    results = all_at_once(as_member(ada), emails)
    assert sorted(results) == ["limited"] + ["sent"] * (senders() - 1)
    assert InvitationSending.objects.count() == Invitation.objects.count() == senders() - 1


def test_one_address_invited_at_once_many_times_has_one_open_invitation(as_member, ada):
    results = all_at_once(as_member(ada), ["grace@example.com"] * senders())
    assert results == ["sent"] * senders()
    assert Invitation.objects.count() == 1
    assert InvitationSending.objects.count() == senders()
