"""Requests per second of a paid API call, against the least a request and a durable write cost
on the same server in the same run.

The generated project runs on PostgreSQL (fsync as configured) with DEBUG off and Redis as its
cache, served by the command it ships (its Procfile); wrk drives it from a second process on
loopback. Baselines live in a benchmark-only URLconf written into the throwaway copy:
  (a) bare: an unauthenticated view answering JSON;
  (b) insert: a view doing one INSERT in autocommit, the least a durable debit can cost;
  (e) hand-written debit: one transaction locking one organization's row (FOR NO KEY UPDATE,
      the ledger's lock), updating a balance row, inserting a row.
The product, through its real URL with a real key and the API rate limit lifted:
  (c) POST /api/v1/services/text_statistics/run (1 credit), every call debiting ONE account;
  (d) the same, calls spread over many accounts, each with its own key.
An account is a user's personal organization, which owns the credits and the key.
Scenarios take turns, round after round; the figures are medians over the rounds. Afterwards
every organization's ledger must sum to its book balance, no paid call may have failed, and the
debits written must match the 200 responses wrk counted (give or take the calls still in flight
when wrk stopped, at most one per connection and run).
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from support import (
    BARE_PATH,
    DEBIT_PATH,
    INSERT_PATH,
    LOOPBACK,
    AccountCheck,
    WrkResult,
    api_accounts,
    free_port,
    ledger_checks,
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
WARMUP_SECONDS = 2  # per scenario, before the first round
SECONDS = 5  # per scenario and round
CONNECTIONS = 16
SETTLE_SECONDS = 1.0  # between wrk runs: calls cut off by the last one finish on the server
SPREAD_ACCOUNTS = 64
CREDITS = 10**9  # per account: no call can run short
RUN_PATH = "/api/v1/services/text_statistics/run"
TEXT = "QuickScale counts the words of this text. It counts its sentences too! How many?"
GOAL = 0.6  # of (b), for (c) and (d)


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    path: str
    lua: str = ""
    paid: bool = False


def scenarios(hot: str, spread: list[str]) -> list[Scenario]:
    body = json.dumps({"text": TEXT})
    return [
        Scenario("a", "bare JSON view", BARE_PATH),
        Scenario("b", "one INSERT, autocommit", INSERT_PATH),
        Scenario("e", "hand-written debit, hot row", DEBIT_PATH),
        Scenario("c", "paid call, one account", RUN_PATH, wrk_post(RUN_PATH, body, [hot]), True),
        Scenario(
            "d",
            f"paid call, {len(spread)} accounts",
            RUN_PATH,
            wrk_post(RUN_PATH, body, spread),
            True,
        ),
    ]


def main() -> None:
    started = time.perf_counter()
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_api") as url:
        root = Path(tmp)
        project = postgres_project(root, "apibench", url)
        project = load_test_project(project, cache_prefix=f"bench-{secrets.token_hex(4)}")
        emails = ["hot@example.com"] + [f"spread{i}@example.com" for i in range(SPREAD_ACCOUNTS)]
        hot, *spread = api_accounts(project, emails, CREDITS)
        plan = scenarios(hot, spread)
        results: dict[str, list[WrkResult]] = {scenario.key: [] for scenario in plan}
        warmups: list[WrkResult] = []
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        command, env = shipped_server(project, port)
        with server_process(command, project.path, env, base + BARE_PATH, root / "server.log"):
            for scenario in plan:
                result = wrk(base + scenario.path, WARMUP_SECONDS, CONNECTIONS, scenario.lua, root)
                if scenario.paid:
                    warmups.append(result)
                time.sleep(SETTLE_SECONDS)
            for _ in range(ROUNDS):
                for scenario in plan:
                    result = wrk(base + scenario.path, SECONDS, CONNECTIONS, scenario.lua, root)
                    results[scenario.key].append(result)
                    time.sleep(SETTLE_SECONDS)
        checks = ledger_checks(project)
        with psycopg.connect(url) as connection:
            durability = {
                "fsync": connection.execute("SHOW fsync").fetchone(),
                "synchronous_commit": connection.execute("SHOW synchronous_commit").fetchone(),
            }
    shown = " ".join([Path(command[0]).name, *command[1:]])
    print(f"server: `{shown}` (the project's Procfile), in the project's folder")
    print("PostgreSQL: " + ", ".join(f"{k} {v[0] if v else '?'}" for k, v in durability.items()))
    report(plan, results)
    paid = warmups + [r for s in plan if s.paid for r in results[s.key]]
    verify(checks, paid)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def report(plan: list[Scenario], results: dict[str, list[WrkResult]]) -> None:
    print(
        f"wrk: {CONNECTIONS} connections, loopback; median of {ROUNDS} rounds of {SECONDS} s "
        f"per scenario"
    )
    rate = {key: statistics.median(r.rate for r in runs) for key, runs in results.items()}
    for scenario in plan:
        runs = results[scenario.key]
        p50 = statistics.median(r.p50_ms for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        spread = ", ".join(f"{r.rate:,.0f}" for r in runs)
        print(
            f"({scenario.key}) {scenario.label:30s} {rate[scenario.key]:8,.0f} req/s "
            f"(rounds: {spread}; latency p50 {p50:.1f} ms, p99 {p99:.1f} ms)"
        )
    for numerator, denominator in (
        ("c", "b"),
        ("d", "b"),
        ("a", "b"),
        ("e", "b"),
        ("c", "e"),
        ("c", "a"),
        ("d", "a"),
    ):
        print(f"ratio ({numerator})/({denominator}): {rate[numerator] / rate[denominator]:.3f}")
    print(
        f"goal: (c) and (d) at least {GOAL} of (b): "
        f"(c) {'met' if rate['c'] >= GOAL * rate['b'] else 'NOT met'}, "
        f"(d) {'met' if rate['d'] >= GOAL * rate['b'] else 'NOT met'}"
    )


def verify(checks: list[AccountCheck], paid: list[WrkResult]) -> None:
    balanced = all(check.balanced for check in checks)
    debits = sum(check.debits for check in checks)
    succeeded = sum(check.runs.get("succeeded", 0) for check in checks)
    other_runs = sum(sum(check.runs.values()) for check in checks) - succeeded
    ok = sum(r.ok for r in paid)
    failed = sum(r.non_2xx + r.socket_errors for r in paid)
    in_flight = CONNECTIONS * len(paid)
    matched = 0 <= debits - ok <= in_flight and debits == succeeded
    print(
        f"ledger sum = book balance on all {len(checks)} organizations: "
        f"{'yes' if balanced else 'NO'}"
    )
    print(
        f"paid calls: {ok:,d} answered 200, {failed:,d} failed (non-2xx or socket errors); "
        f"debits written {debits:,d}, service runs succeeded {succeeded:,d}, other runs "
        f"{other_runs:,d}; debits - 200s = {debits - ok:,d} (calls in flight when wrk stopped, "
        f"at most {in_flight:,d}): {'ok' if matched and failed == 0 else 'MISMATCH'}"
    )


if __name__ == "__main__":
    main()
