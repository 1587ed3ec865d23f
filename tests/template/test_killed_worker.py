"""A gunicorn worker killed in the middle of a paid call, as a timeout or the OOM killer kills
one: the run it leaves behind stays charged until its deadline, then `recover` refunds it once.
The caller never got a result, so the refund gives nothing away; a retry with the same
Idempotency-Key is told the call is in progress, then that it ran out of time."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from tests.conftest import generate_project
from tests.template.conftest import manage

pytestmark = pytest.mark.slow

PACKAGE = "killed_worker"
TIMEOUT = 10  # seconds: the deadline, long enough for the checks made before it under load
SERVICE = f"""
import time

from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import register


@register
class Dawdle(BaseService):
    name = "dawdle"
    cost = 2
    timeout = {TIMEOUT}
    input_schema = {{"type": "object", "properties": {{"seconds": {{"type": "number"}}}}}}

    def run(self, data):
        time.sleep(data["seconds"])
        return {{"slept": data["seconds"]}}
"""
SQLITE = {"DATABASE_URL": ""}
RUN = "/api/v1/services/dawdle/run"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(base, path, token, *, data=None, key=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    body = json.dumps(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(
            urllib.request.Request(base + path, body, headers), timeout=60
        ) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def runs(project):
    with sqlite3.connect(project / "db.sqlite3") as database:
        return database.execute(
            "SELECT status, error, refund_id, deadline FROM quickscale_services_servicerun"
        ).fetchall()


def wait_for(condition, seconds=30):
    stop = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > stop:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)


@pytest.fixture
def served(tmp_path):
    project = generate_project(tmp_path, PACKAGE)
    (project / PACKAGE / "ai_services" / "dawdle.py").write_text(SERVICE)
    manage(project, "migrate", "--noinput", env=SQLITE)
    manage(
        project,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user(email='buyer@example.com')",
        env=SQLITE,
    )
    grant = ["--user", "buyer@example.com", "--amount", "10", "--kind", "payg"]
    manage(project, "quickscale_credits", "grant", *grant, env=SQLITE)
    key = ["--user", "buyer@example.com", "--name", "worker-test"]
    token = manage(project, "quickscale_api_keys", "create", *key, env=SQLITE).stdout.strip()
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PYTEST_", "QUICKSCALE_TEST"))
    }
    environment.update(
        SQLITE, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_THREADS="2"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn"],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy)
        yield project, base, token, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def call_and_lose_the_worker(base, token):
    try:
        return request(base, RUN, token, data={"seconds": 30}, key="order-7")
    except Exception as error:  # the connection dies with the worker
        return error


def workers(server):
    found = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_a_worker_killed_mid_run_leaves_a_charge_that_recover_refunds_once_after_the_deadline(
    served,
):
    project, base, token, server = served
    answers = []
    caller = threading.Thread(
        target=lambda: answers.append(call_and_lose_the_worker(base, token)),
    )
    caller.start()
    wait_for(lambda: [row[0] for row in runs(project)] == ["running"])
    (killed,) = workers(server)
    os.kill(killed, signal.SIGKILL)
    caller.join(timeout=60)
    assert answers and isinstance(answers[0], Exception)  # no answer, no result

    # Before its deadline the run is left alone: its server might still be at work.
    assert (
        "Recovered 0 runs" in manage(project, "quickscale_services", "recover", env=SQLITE).stdout
    )
    wait_for(lambda: workers(server) and workers(server) != [killed])
    status, body, _ = request(base, "/api/v1/credits/balance", token)
    assert (status, body["total"]) == (200, 8)
    status, body, _ = request(base, RUN, token, data={"seconds": 30}, key="order-7")
    assert (status, body["error"]["code"]) == (409, "request_in_progress")

    # After it, recover fails and refunds it, once.
    ((_, _, _, deadline),) = runs(project)
    left = datetime.fromisoformat(deadline).timestamp() - time.time()
    time.sleep(max(0.0, left) + 0.2)
    assert (
        "Recovered 1 run " in manage(project, "quickscale_services", "recover", env=SQLITE).stdout
    )
    assert (
        "Recovered 0 runs" in manage(project, "quickscale_services", "recover", env=SQLITE).stdout
    )
    ((status_, error, refund_id, _),) = runs(project)
    assert (status_, error) == ("failed", "Abandoned") and refund_id is not None
    status, body, _ = request(base, "/api/v1/credits/balance", token)
    assert (status, body["total"]) == (200, 10)
    status, body, headers = request(base, RUN, token, data={"seconds": 30}, key="order-7")
    assert (status, body["error"]["code"]) == (504, "deadline_exceeded")
    assert headers["Idempotent-Replayed"] == "true" and "result" not in body["error"]
    with sqlite3.connect(project / "db.sqlite3") as database:
        kinds = database.execute(
            "SELECT kind, amount FROM quickscale_credits_ledgerentry ORDER BY id"
        ).fetchall()
    assert kinds == [("grant", 10), ("debit", -2), ("refund", 2)]
