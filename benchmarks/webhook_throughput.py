"""Stripe webhook events per second through dj-stripe's real endpoint, signatures verified, against
a bare POST view on the same server in the same run.

The generated project runs on PostgreSQL with DEBUG off, served by the command it ships (its
Procfile), its Stripe API the fake Stripe served on loopback (as dj-stripe reaches Stripe in
production, for the account it looks up). Its webhook endpoint is registered in the fake the
way `quickscale_stripe_webhook` registers it at Stripe. wrk posts distinct events, each signed
with the endpoint's secret as Stripe signs them:
  (a) bare: a CSRF-exempt view answering JSON to the same bodies;
  (w) webhook: POST /stripe/webhook/<uuid>/ with events of a type billing acknowledges and
      stores (dj-stripe verifies the signature, records the delivery and the event, in one
      transaction each).
Afterwards every event answered 200 must be stored once, and every delivery valid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from support import (
    BARE_POST_PATH,
    LOOPBACK,
    PYTHON,
    WRK_THREADS,
    WrkResult,
    free_port,
    load_test_project,
    lua_string,
    postgres_project,
    project_python,
    require_wrk,
    server_process,
    shipped_server,
    throwaway_database,
    wait_for_200,
    wrk,
)

ROUNDS = 3
SECONDS = 5
WARMUP_SECONDS = 2
CONNECTIONS = 8
EVENTS = 40_000  # distinct events prepared: more than a run posts
FAKE_KEY = "sk_test_quickscaleFakeStripe0000000000"
API_VERSION_CODE = "from quickscale.apps.billing.version import STRIPE_API_VERSION as v; print(v)"
ENDPOINT_CODE = """
import json
from quickscale.apps.billing.endpoints import webhook_endpoint_ensure
endpoint, _ = webhook_endpoint_ensure("http://127.0.0.1")
path = endpoint.url.removeprefix("http://127.0.0.1")
print(json.dumps({"path": path, "secret": endpoint.secret}))
"""
COUNT_CODE = """
import json
from djstripe.models import Event, WebhookEventTrigger
triggers = WebhookEventTrigger.objects
print(json.dumps({
    "events": Event.objects.count(),
    "distinct": Event.objects.values("id").distinct().count(),
    "triggers": triggers.count(),
    "invalid": triggers.filter(valid=False).count(),
    "unprocessed": triggers.filter(processed=False).count(),
}))
"""


def events(api_version: str, count: int) -> list[bytes]:
    now = int(time.time())
    bodies = []
    for number in range(count):
        event = {
            "id": f"evt_bench{number:08d}{secrets.token_hex(4)}",
            "object": "event",
            "api_version": api_version,
            "created": now,
            "data": {"object": {"id": f"bench_{number}", "object": "quickscale_benchmark"}},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "quickscale.benchmark",
        }
        bodies.append(json.dumps(event, separators=(",", ":")).encode())
    return bodies


def signature(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def lua_events(path: str, bodies: list[bytes], secret: str) -> str:
    """Each wrk thread posts its own slice of the events, one after another, never twice."""
    timestamp = int(time.time())
    rows = ",\n".join(
        "{" + lua_string(signature(body, secret, timestamp)) + "," + lua_string(body.decode()) + "}"
        for body in bodies
    )
    return f"""
local events = {{
{rows}
}}
local threads = 0
function setup(thread)
  thread:set("first", threads * math.floor(#events / {WRK_THREADS}))
  threads = threads + 1
end
local turn = 0
function init(args)
  turn = first
end
function request()
  turn = turn % #events + 1
  local event = events[turn]
  return wrk.format("POST", {lua_string(path)}, {{
    ["Content-Type"] = "application/json", ["Stripe-Signature"] = event[1]
  }}, event[2])
end
"""


def main() -> None:
    started = time.perf_counter()
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_webhook") as url:
        root = Path(tmp)
        project = postgres_project(root, "hookbench", url)
        project = load_test_project(project, cache_prefix=f"bench-{secrets.token_hex(4)}")
        stripe_port = free_port()
        stripe_host = f"http://{LOOPBACK}:{stripe_port}"
        env = {**project.env, "STRIPE_SECRET_KEY": FAKE_KEY, "STRIPE_API_HOST": stripe_host}
        project = type(project)(project.path, project.name, project.database_url, env)
        fake = subprocess.Popen(
            [PYTHON, "manage.py", "quickscale_fake_stripe", "--port", str(stripe_port)],
            cwd=project.path,
            env={**env, "DEBUG": "True"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_200(stripe_host + "/clock")
            endpoint = json.loads(project_python(project, ENDPOINT_CODE))
            api_version = project_python(project, API_VERSION_CODE).strip()
            bodies = events(api_version, EVENTS)
            webhook_lua = ""
            bare_lua = lua_events(BARE_POST_PATH, bodies[:5000], endpoint["secret"])
            port = free_port()
            base = f"http://{LOOPBACK}:{port}"
            command, server_env = shipped_server(project, port)
            results: dict[str, list[WrkResult]] = {"a": [], "w": []}
            scripts = {"a": (BARE_POST_PATH, bare_lua), "w": (endpoint["path"], webhook_lua)}
            with server_process(
                command, project.path, server_env, base + "/healthz", root / "server.log"
            ):
                # Every run posts fresh events: the webhook's script is rebuilt from the next
                # slice each time, so no event is delivered twice.
                offset = 0
                for round_number in range(ROUNDS + 1):
                    for key, (path, lua) in scripts.items():
                        if key == "w":
                            chunk = bodies[offset : offset + EVENTS // (ROUNDS + 1)]
                            offset += len(chunk)
                            lua = lua_events(path, chunk, endpoint["secret"])
                        seconds = WARMUP_SECONDS if round_number == 0 else SECONDS
                        result = wrk(base + path, seconds, CONNECTIONS, lua, root)
                        if round_number:
                            results[key].append(result)
                        time.sleep(0.5)
            counts = json.loads(project_python(project, COUNT_CODE))
        finally:
            fake.terminate()
            fake.wait(timeout=10)
    report(results, counts)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def report(results: dict[str, list[WrkResult]], counts: dict[str, int]) -> None:
    print(f"wrk: {CONNECTIONS} connections, loopback; median of {ROUNDS} rounds of {SECONDS} s")
    rate = {key: statistics.median(r.rate for r in runs) for key, runs in results.items()}
    labels = {"a": "bare POST view", "w": "webhook, signature verified"}
    for key, runs in results.items():
        spread = ", ".join(f"{r.rate:,.0f}" for r in runs)
        p50 = statistics.median(r.p50_ms for r in runs)
        failed = sum(r.non_2xx + r.socket_errors for r in runs)
        print(
            f"({key}) {labels[key]:30s} {rate[key]:8,.0f} req/s (rounds: {spread}; "
            f"p50 {p50:.1f} ms; failed {failed})"
        )
    print(f"ratio (w)/(a): {rate['w'] / rate['a']:.3f}")
    print(
        f"stored: {counts['events']:,d} events ({counts['distinct']:,d} distinct) from "
        f"{counts['triggers']:,d} deliveries; invalid {counts['invalid']}, unprocessed "
        f"{counts['unprocessed']}"
    )


if __name__ == "__main__":
    main()
