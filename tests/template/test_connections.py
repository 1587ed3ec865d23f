"""Database connections of the generated project, counted on the real PostgreSQL."""

import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.servers import project_environment, runserver, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL's sessions"),
]

REQUESTS = 100
CLIENTS = 10
SETTLE_TIMEOUT = 10.0  # seconds for the last request's thread to hand its connection back


def status_of(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status


def sessions_on(database):
    with connection.cursor() as cursor:
        # The test runs in a transaction, which would otherwise see one snapshot of the view.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return cursor.fetchone()[0]


def test_runserver_holds_no_connection_after_its_requests_even_with_persistent_ones_asked_for(
    test_project_dir, tmp_path
):
    """runserver starts a thread per request; a connection kept past the request is never
    used again and stays open until the thread's objects are collected."""
    database = connection.settings_dict["NAME"]
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{database}"
    env = project_environment(DEBUG="True", DATABASE_URL=url, CONN_MAX_AGE="60")
    with runserver(test_project_dir, env, tmp_path / "runserver.log") as base:
        # The server's own start-up connection (its migration check) is there by now.
        before = sessions_on(database)
        # At once, as a browser loading a page and its parts, or a fuzzer, would send them.
        with ThreadPoolExecutor(CLIENTS) as clients:
            statuses = list(clients.map(lambda _: status_of(base + "/healthz"), range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        try:
            wait_until(
                lambda: sessions_on(database) <= before, SETTLE_TIMEOUT, "connections closed"
            )
        except AssertionError:
            pytest.fail(
                f"{sessions_on(database) - before} connections still open after {REQUESTS} "
                f"requests to runserver ({before} before)"
            )
