"""How a generated project connects to PostgreSQL: requests per second, and the connections it
holds, with psycopg's pool (the default), with persistent connections (CONN_MAX_AGE=60, the
default before the pool), with a new connection per request (CONN_MAX_AGE=0), and each of the
first two with server-side binding (DATABASE_SERVER_SIDE_BINDING).

The project runs the server command it ships (gunicorn, gunicorn.conf.py: 2 x cores + 1 workers
of 4 threads), DEBUG off, PostgreSQL with fsync on, on three endpoints: one INSERT in autocommit
(a baseline view), and a paid API call (the 1-credit text_statistics service) debiting one
account or spread over many. wrk drives it from a second process on loopback. Configurations
take turns, round after round; the figures are medians over the rounds and ratios to the pool
measured in the same run. "connections" is the most sessions PostgreSQL counted on the project's
database while one configuration ran.
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from support import (
    INSERT_PATH,
    LOOPBACK,
    WrkResult,
    api_accounts,
    free_port,
    load_test_project,
    postgres_project,
    require_wrk,
    server_process,
    shipped_server,
    throwaway_database,
    wrk,
    wrk_post,
)

ROUNDS = 3
WARMUP_SECONDS = 1  # per endpoint, each time a server starts
SECONDS = 4  # measured, per endpoint and round
CONNECTIONS = 16
SPREAD_ACCOUNTS = 32
CREDITS = 10**9
SAMPLE_INTERVAL = 0.2  # seconds between two counts of PostgreSQL's sessions
RUN_PATH = "/api/v1/services/text_statistics/run"
TEXT = "QuickScale counts the words of this text. It counts its sentences too! How many?"
INSERT, PAID, SPREAD = "one INSERT", "paid, one account", f"paid, {SPREAD_ACCOUNTS} accounts"
ENDPOINTS = (INSERT, PAID, SPREAD)


@dataclass(frozen=True)
class Configuration:
    label: str
    env: dict[str, str] = field(default_factory=dict)


POOL = Configuration("pool (default)")
CONFIGURATIONS = (
    POOL,
    Configuration("persistent, CONN_MAX_AGE=60", {"DATABASE_POOL": "False", "CONN_MAX_AGE": "60"}),
    Configuration("per request, CONN_MAX_AGE=0", {"DATABASE_POOL": "False", "CONN_MAX_AGE": "0"}),
    Configuration("pool, server-side binding", {"DATABASE_SERVER_SIDE_BINDING": "True"}),
    Configuration(
        "persistent, server-side binding",
        {"DATABASE_POOL": "False", "CONN_MAX_AGE": "60", "DATABASE_SERVER_SIDE_BINDING": "True"},
    ),
)


class SessionCounter:
    """The most sessions PostgreSQL counts on `database` while it runs, sampled in a thread."""

    def __init__(self, url: str, database: str) -> None:
        self.url = url
        self.database = database
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self._stop.is_set():
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.database],
                ).fetchone()
                self.most = max(self.most, int(row[0]) if row else 0)
                self._stop.wait(SAMPLE_INTERVAL)

    def __enter__(self) -> SessionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    started = time.perf_counter()
    require_wrk()
    results: dict[str, dict[str, list[WrkResult]]] = {
        c.label: {endpoint: [] for endpoint in ENDPOINTS} for c in CONFIGURATIONS
    }
    sessions: dict[str, list[int]] = {c.label: [] for c in CONFIGURATIONS}
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_connections") as url:
        root = Path(tmp)
        project = postgres_project(root, "connections", url)
        project = load_test_project(project, cache_prefix=f"bench-{secrets.token_hex(4)}")
        emails = ["hot@example.com"] + [f"spread{i}@example.com" for i in range(SPREAD_ACCOUNTS)]
        hot, *spread = api_accounts(project, emails, CREDITS)
        body = json.dumps({"text": TEXT})
        runs = (
            (INSERT, INSERT_PATH, ""),
            (PAID, RUN_PATH, wrk_post(RUN_PATH, body, [hot])),
            (SPREAD, RUN_PATH, wrk_post(RUN_PATH, body, spread)),
        )
        database = url.rsplit("/", 1)[1]
        for _ in range(ROUNDS):
            for configuration in CONFIGURATIONS:
                port = free_port()
                base = f"http://{LOOPBACK}:{port}"
                command, env = shipped_server(project, port)
                env = {**env, **configuration.env}
                with (
                    server_process(command, project.path, env, base + INSERT_PATH, root / "log"),
                    SessionCounter(url, database) as counter,
                ):
                    for label, path, lua in runs:
                        wrk(base + path, WARMUP_SECONDS, CONNECTIONS, lua, root)
                        result = wrk(base + path, SECONDS, CONNECTIONS, lua, root)
                        results[configuration.label][label].append(result)
                sessions[configuration.label].append(counter.most)
    report(results, sessions)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def report(results: dict[str, dict[str, list[WrkResult]]], sessions: dict[str, list[int]]) -> None:
    print(
        f"gunicorn as shipped; wrk: {CONNECTIONS} connections; median of {ROUNDS} rounds of "
        f"{SECONDS} s per configuration and endpoint"
    )
    rates = {
        label: {endpoint: statistics.median(r.rate for r in runs) for endpoint, runs in by.items()}
        for label, by in results.items()
    }
    pool = rates[POOL.label]
    print(f"{'req/s':34s}" + "".join(f"{e:>20s}" for e in ENDPOINTS) + f"{'connections':>13s}")
    for label, rate in rates.items():
        failed = sum(r.non_2xx + r.socket_errors for runs in results[label].values() for r in runs)
        print(
            f"{label:34s}"
            + "".join(f"{rate[e]:20,.0f}" for e in ENDPOINTS)
            + f"{max(sessions[label]):13d}"
            + (f"  ({failed:,d} failed requests)" if failed else "")
        )
    for label, rate in rates.items():
        if label != POOL.label:
            ratios = ", ".join(f"{e} {pool[e] / rate[e]:.2f}x" for e in ENDPOINTS)
            print(f"ratio (pool / {label}): {ratios}")


if __name__ == "__main__":
    main()
