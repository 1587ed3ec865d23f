"""Which server a generated project ships: requests per second of gunicorn with threaded
workers (as shipped, and with one thread each) and with sync workers, 2 x cores + 1 processes
each, and of uvicorn's WSGI and ASGI interfaces (one process: see CANDIDATES), on a bare JSON
view and on a paid API call (the 1-credit text_statistics service), every call debiting one
account or spread over many, on PostgreSQL with fsync on, DEBUG off.

wrk drives each server from a second process on loopback. The servers take turns, round after
round, so that a machine busy with something else for a while slows every server, not one; the
figures are medians over the rounds, and ratios to the shipped command measured in the same run.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support import (
    BARE_PATH,
    BIN,
    LOOPBACK,
    Project,
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

CORES = os.cpu_count() or 1
ROUNDS = 2
WARMUP_SECONDS = 1  # per endpoint, each time a server starts
SECONDS = 4  # measured, per endpoint and round
CONNECTIONS = 16
PROCESSES = 2 * CORES + 1  # what the shipped configuration starts (WEB_CONCURRENCY unset)
SHIPPED_THREADS = 4  # GUNICORN_THREADS unset
SPREAD_ACCOUNTS = 32
CREDITS = 10**9
RUN_PATH = "/api/v1/services/text_statistics/run"
TEXT = "QuickScale counts the words of this text. It counts its sentences too! How many?"
BARE, PAID, SPREAD = "bare JSON view", "paid, one account", f"paid, {SPREAD_ACCOUNTS} accounts"
ENDPOINTS = (BARE, PAID, SPREAD)


@dataclass(frozen=True)
class Candidate:
    label: str
    # (project, port, an empty gunicorn config) → the command and its environment
    command: Callable[[Project, int, Path], tuple[list[str], dict[str, str]]]


def _gunicorn(worker_class: str, workers: int, threads: int = 1) -> Candidate:
    def command(project: Project, port: int, empty: Path) -> tuple[list[str], dict[str, str]]:
        return [
            str(BIN / "gunicorn"),
            f"--config={empty}",  # not the project's gunicorn.conf.py
            f"--bind={LOOPBACK}:{port}",
            f"--worker-class={worker_class}",
            f"--workers={workers}",
            f"--threads={threads}",
            f"{project.name}.wsgi:application",
        ], project.env

    label = f"gunicorn {worker_class}, {workers} workers"
    return Candidate(label + (f" x {threads} threads" if threads > 1 else ""), command)


def _uvicorn(interface: str, module: str, processes: int, **env: str) -> Candidate:
    def command(project: Project, port: int, empty: Path) -> tuple[list[str], dict[str, str]]:
        return [
            str(BIN / "uvicorn"),
            f"{project.name}.{module}:application",
            f"--interface={interface}",
            f"--host={LOOPBACK}",
            f"--port={port}",
            f"--workers={processes}",
            "--no-access-log",
        ], {**project.env, **env}

    label = f"uvicorn {interface.upper()}, {processes} process" + ("es" if processes > 1 else "")
    if env:
        label += ", " + ", ".join(f"{key}={value}" for key, value in env.items())
    return Candidate(label, command)


SHIPPED = Candidate(
    f"shipped: gthread, {PROCESSES} workers x {SHIPPED_THREADS} threads",
    lambda project, port, _: shipped_server(project, port),
)
CANDIDATES = (
    SHIPPED,
    _gunicorn("gthread", PROCESSES, 1),
    _gunicorn("sync", PROCESSES),
    # One process: with --workers above 1, uvicorn answered every keep-alive request after a
    # flat ~44 ms on this machine (a delayed-ACK pattern), whatever the view: 353 req/s bare.
    _uvicorn("wsgi", "wsgi", 1),
    # Django closes connections kept across ASGI requests only at CONN_MAX_AGE=0; at the
    # project's default of 60 s every request's thread keeps one until PostgreSQL runs out.
    _uvicorn("asgi3", "asgi", 1, CONN_MAX_AGE="0"),
)


def main() -> None:
    started = time.perf_counter()
    require_wrk()
    results: dict[str, dict[str, list[WrkResult]]] = {
        candidate.label: {endpoint: [] for endpoint in ENDPOINTS} for candidate in CANDIDATES
    }
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_servers") as url:
        root = Path(tmp)
        project = postgres_project(root, "servers", url)
        project = load_test_project(project, cache_prefix=f"bench-{secrets.token_hex(4)}")
        emails = ["hot@example.com"] + [f"spread{i}@example.com" for i in range(SPREAD_ACCOUNTS)]
        hot, *spread = api_accounts(project, emails, CREDITS)
        empty = root / "empty_gunicorn.conf.py"
        empty.write_text("")
        body = json.dumps({"text": TEXT})
        runs = (
            (BARE, BARE_PATH, ""),
            (PAID, RUN_PATH, wrk_post(RUN_PATH, body, [hot])),
            (SPREAD, RUN_PATH, wrk_post(RUN_PATH, body, spread)),
        )
        for _ in range(ROUNDS):
            for candidate in CANDIDATES:
                port = free_port()
                base = f"http://{LOOPBACK}:{port}"
                command, env = candidate.command(project, port, empty)
                with server_process(command, project.path, env, base + BARE_PATH, root / "log"):
                    for label, path, lua in runs:
                        wrk(base + path, WARMUP_SECONDS, CONNECTIONS, lua, root)
                        result = wrk(base + path, SECONDS, CONNECTIONS, lua, root)
                        results[candidate.label][label].append(result)
    report(results)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def report(results: dict[str, dict[str, list[WrkResult]]]) -> None:
    print(
        f"{CORES} cores; wrk: {CONNECTIONS} connections; median of {ROUNDS} rounds of "
        f"{SECONDS} s per server and endpoint"
    )
    rates = {
        label: {endpoint: statistics.median(r.rate for r in runs) for endpoint, runs in by.items()}
        for label, by in results.items()
    }
    shipped = rates[SHIPPED.label]
    print(f"{'req/s':46s}" + "".join(f"{endpoint:>20s}" for endpoint in ENDPOINTS))
    for label, rate in rates.items():
        failed = sum(r.non_2xx + r.socket_errors for runs in results[label].values() for r in runs)
        print(
            f"{label:46s}"
            + "".join(f"{rate[endpoint]:20,.0f}" for endpoint in ENDPOINTS)
            + (f"  ({failed:,d} failed requests)" if failed else "")
        )
    for label, rate in rates.items():
        if label != SHIPPED.label:
            ratios = ", ".join(f"{e} {shipped[e] / rate[e]:.2f}x" for e in ENDPOINTS)
            print(f"ratio (shipped / {label}): {ratios}")


if __name__ == "__main__":
    main()
