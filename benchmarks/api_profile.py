"""Where a paid API call's time goes, next to the baselines of api_throughput.py.

1. In one process, through Django's test client (no server, no concurrency): every round trip
   of one paid call (1-credit text_statistics) to PostgreSQL and Redis, with when it started and
   how long it took, and how long the debit holds the organization's row lock; then the wall and CPU
   time per call of each endpoint over many calls, and the functions the paid call spends its
   time in (cProfile, so Python's own share is inflated).
2. Under load, the project served by the command it ships and driven by wrk: the CPU time
   each request costs in the server's workers, in PostgreSQL's backends and in Redis, read
   from /proc before and after each run. On a machine that runs out of cores, this is what sets
   the ratios: the core-seconds a request needs.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
from support import (
    BARE_PATH,
    DEBIT_PATH,
    INSERT_PATH,
    LOOPBACK,
    REDIS_URL,
    Project,
    api_accounts,
    free_port,
    load_test_project,
    postgres_project,
    project_output,
    require_wrk,
    self_command,
    server_process,
    shipped_server,
    throwaway_database,
    wrk,
    wrk_post,
)

RUN_PATH = "/api/v1/services/text_statistics/run"
TEXT = "QuickScale counts the words of this text. It counts its sentences too! How many?"
CREDITS = 10**9
SPREAD_ACCOUNTS = 16
WARMUP_CALLS = 30
TIMED_CALLS = 300
PROFILED_CALLS = 300
PROFILE_LINES = 22
LOAD_SECONDS = 8
CONNECTIONS = 16
SQL_SHOWN = 70  # characters of each statement
# The paid call's one statement that takes the organization's row lock (inside PL/pgSQL, so the
# statement's text does not say FOR NO KEY UPDATE); in autocommit it commits as it ends.
CHARGE_FUNCTION = "quickscale_service_charge_"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    paid: bool = False


ENDPOINTS = (
    Endpoint("a", "bare JSON view", BARE_PATH),
    Endpoint("b", "one INSERT, autocommit", INSERT_PATH),
    Endpoint("e", "hand-written debit, hot row", DEBIT_PATH),
    Endpoint("c", "paid call, one account", RUN_PATH, paid=True),
)


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    require_wrk()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_profile") as url:
        root = Path(tmp)
        project = postgres_project(root, "apiprofile", url)
        project = load_test_project(project, cache_prefix=f"bench-{secrets.token_hex(4)}")
        emails = ["hot@example.com"] + [f"spread{i}@example.com" for i in range(SPREAD_ACCOUNTS)]
        hot, *spread = api_accounts(project, emails, CREDITS)
        print("== 1. One process, Django's test client")
        in_process(project, hot)
        print(f"\n== 2. Under load: the shipped server, wrk with {CONNECTIONS} connections")
        under_load(project, url, root, hot, spread)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def in_process(project: Project, token: str) -> None:
    print(project_output(project, self_command(__file__, project, token)), end="")


# Part 1, in the child: the project's Django in this process.


@dataclass
class Step:
    started: float
    seconds: float
    kind: str
    text: str


class Recorder:
    """Every round trip a request makes: Django's SQL, COMMIT, health checks, Redis replies."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.active = False

    @contextmanager
    def recording(self) -> Iterator[list[Step]]:
        from django.db import connection

        self.steps = []
        self.active = True
        try:
            with connection.execute_wrapper(self.sql):
                yield self.steps
        finally:
            self.active = False

    def sql(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        with self.step("sql", " ".join(sql.split())):
            return execute(sql, *args)

    @contextmanager
    def step(self, kind: str, text: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            if self.active:
                self.steps.append(Step(started, time.perf_counter() - started, kind, text))

    def wrap(self, owner: type, name: str, kind: str, text: str) -> None:
        original = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.step(kind, text):
                return original(*args, **kwargs)

        setattr(owner, name, wrapped)


def child(project_path: Path, name: str, token: str) -> None:
    sys.path.insert(0, str(project_path))
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from redis.connection import AbstractConnection

    recorder = Recorder()
    wrapper = type(connections["default"])
    recorder.wrap(wrapper, "_commit", "commit", "COMMIT")
    recorder.wrap(wrapper, "is_usable", "health", "SELECT 1 (connection health check)")
    recorder.wrap(AbstractConnection, "read_response", "redis", "a Redis reply")
    client = Client(HTTP_HOST=LOOPBACK)
    body = json.dumps({"text": TEXT})

    def call(endpoint: Endpoint) -> None:
        if endpoint.paid:
            response = client.post(
                endpoint.path,
                body,
                content_type="application/json",
                headers={"authorization": f"Bearer {token}"},
            )
        else:
            response = client.get(endpoint.path)
        assert response.status_code == 200, response.content

    for endpoint in ENDPOINTS:
        for _ in range(WARMUP_CALLS):
            call(endpoint)
    for endpoint in ENDPOINTS:
        with recorder.recording() as steps:
            began = time.perf_counter()
            call(endpoint)
            took = time.perf_counter() - began
        print_steps(endpoint, steps, began, took, verbose=endpoint.paid)
    print(f"sequential, {TIMED_CALLS} calls each (no server, no concurrency):")
    for endpoint in ENDPOINTS:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(TIMED_CALLS):
            call(endpoint)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"  ({endpoint.key}) {endpoint.label:28s} {wall / TIMED_CALLS * 1e3:6.2f} ms wall, "
            f"{cpu / TIMED_CALLS * 1e3:6.2f} ms CPU of this process per call"
        )
    paid = next(endpoint for endpoint in ENDPOINTS if endpoint.paid)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILED_CALLS):
        call(paid)
    profile.disable()
    print_profile(profile)


def print_steps(
    endpoint: Endpoint, steps: list[Step], began: float, took: float, verbose: bool
) -> None:
    kinds = {kind: sum(step.kind == kind for step in steps) for kind in ("sql", "commit", "redis")}
    waited = sum(step.seconds for step in steps)
    print(
        f"({endpoint.key}) {endpoint.label}: {took * 1e3:.2f} ms; round trips: "
        f"{kinds['sql']} SQL statements + {kinds['commit']} COMMIT to PostgreSQL, "
        f"{kinds['redis']} to Redis ({waited * 1e3:.2f} ms waiting on them, "
        f"{(took - waited) * 1e3:.2f} ms in Python)"
    )
    if not verbose:
        return
    lock = next(
        (s for s in steps if "FOR NO KEY UPDATE" in s.text or CHARGE_FUNCTION in s.text), None
    )
    for step in steps:
        print(
            f"    at {(step.started - began) * 1e3:6.2f} ms, {step.seconds * 1e3:5.2f} ms: "
            f"{step.text[:SQL_SHOWN]}"
        )
    if lock is not None:
        commits = [s for s in steps if s.kind == "commit" and s.started > lock.started]
        held = inside = None
        if commits:
            held = commits[0].started + commits[0].seconds - lock.started
            inside = sum(1 for s in steps if lock.started <= s.started <= commits[0].started)
        elif CHARGE_FUNCTION in lock.text:  # autocommit: the statement is its transaction
            held, inside = lock.seconds, 1
        if held is not None:
            print(
                f"    the organization's row lock is held {held * 1e3:.2f} ms, over {inside} round "
                f"trips: one account can take at most {1 / held:,.0f} such calls a second"
            )


def print_profile(profile: cProfile.Profile) -> None:
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        calls, cumulative = entry[1], entry[3]
        if "quickscale" in filename or function in ("execute", "_commit", "read_response"):
            short = filename.split("site-packages/")[-1].split("/work/main/")[-1]
            rows.append((cumulative, calls, f"{short}:{line}({function})"))
    rows.sort(reverse=True)
    print(
        f"cProfile of {PROFILED_CALLS} paid calls (cumulative ms per call; profiling "
        f"inflates Python):"
    )
    for cumulative, calls, where in rows[:PROFILE_LINES]:
        print(
            f"  {cumulative / PROFILED_CALLS * 1e3:7.2f} ms  "
            f"{calls / PROFILED_CALLS:5.1f}x  {where}"
        )


# Part 2, in the parent: CPU per request under load.


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat[1]) == parent:
                children.append(int(entry.name))
    return children


def _backends(url: str) -> list[int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


def under_load(project: Project, url: str, root: Path, hot: str, spread: list[str]) -> None:
    body = json.dumps({"text": TEXT})
    runs = [
        *((e.key, e.label, e.path, "") for e in ENDPOINTS if not e.paid),
        ("c", "paid call, one account", RUN_PATH, wrk_post(RUN_PATH, body, [hot])),
        ("d", f"paid call, {len(spread)} accounts", RUN_PATH, wrk_post(RUN_PATH, body, spread)),
    ]
    redis_pid = int(redis.Redis.from_url(REDIS_URL).info("server")["process_id"])
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    command, env = shipped_server(project, port)
    with server_process(
        command, project.path, env, base + BARE_PATH, root / "server.log"
    ) as server:
        for _, _, path, lua in runs:
            wrk(base + path, 2, CONNECTIONS, lua, root)  # every thread's connection opened
        workers = _children(server.pid)
        print(
            f"{len(workers)} worker processes; CPU ms per request in them, in PostgreSQL's "
            "backends, in Redis (shared with whatever else uses it) and in wrk:"
        )
        for key, label, path, lua in runs:
            groups = {"workers": workers, "postgres": _backends(url), "redis": [redis_pid]}
            before = {name: sum(map(_cpu_seconds, pids)) for name, pids in groups.items()}
            children = os.times()
            result = wrk(base + path, LOAD_SECONDS, CONNECTIONS, lua, root)
            spent = {
                name: sum(map(_cpu_seconds, pids)) - before[name] for name, pids in groups.items()
            }
            after = os.times()
            spent["wrk"] = (after.children_user + after.children_system) - (
                children.children_user + children.children_system
            )
            total = sum(spent.values())
            shares = ", ".join(
                f"{name} {seconds / result.requests * 1e3:.2f}" for name, seconds in spent.items()
            )
            print(
                f"  ({key}) {label:28s} {result.rate:7,.0f} req/s; {shares}; "
                f"total {total / result.requests * 1e3:.2f} ms "
                f"(cores busy: {total / result.seconds:.2f} of {os.cpu_count()})"
            )
            time.sleep(1)


if __name__ == "__main__":
    main()
