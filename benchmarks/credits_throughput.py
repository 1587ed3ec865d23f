"""Debits per second through `credits_consume`: one worker on one account, eight workers on the
same account (they queue on its row lock), and eight workers on eight accounts. An account is a
user's personal organization; its row is the lock.

Workers are processes of the generated project's Django, each with its own PostgreSQL
connection. They start together and debit for a fixed time; a debit costs 1 to 5 credits and
the accounts hold far more, so none fails for lack of credits. Afterwards every account's ledger
must still sum to its book balance (the sum of its lots' `remaining`), and hold exactly the debits
the workers counted. The figures are ratios against the single worker, measured in the same run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import (
    Project,
    django_setup,
    postgres_project,
    project_output,
    seed_account,
    self_command,
    throwaway_database,
    vacuum_analyze,
)

DURATION = 15.0  # seconds each worker debits for
WORKERS = 8
HISTORY_ENTRIES = 10_000  # each account's ledger before the run
HISTORY_LOTS = 20
LIVE_LOTS = 3
LIVE_REMAINING = 10**12  # credits in the first live lot; no debit can run short
DEBIT_AMOUNTS = 5  # a worker's debits cost 1, 2, …, 5 credits in turn
WARMUP_DEBITS = 5  # per worker, before the clock starts
KEY_PREFIX = "bench:"
READY, GO = "ready", "go"
STARTUP_TIMEOUT = 120.0  # seconds


@dataclass(frozen=True)
class Scenario:
    label: str
    emails: tuple[str, ...]  # one per worker


SOLO = Scenario("1 worker, 1 account", ("solo@example.com",))
SHARED = Scenario(f"{WORKERS} workers, 1 account", ("shared@example.com",) * WORKERS)
SPREAD = Scenario(
    f"{WORKERS} workers, {WORKERS} accounts",
    tuple(f"account{index}@example.com" for index in range(WORKERS)),
)
SCENARIOS = (SOLO, SHARED, SPREAD)


@dataclass(frozen=True)
class Outcome:
    debits: int  # timed, all workers
    written: int  # timed and warm-up: what the ledger must now hold
    errors: int
    seconds: float  # first worker's start to last worker's end
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.debits / self.seconds


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_throughput") as url:
        project = postgres_project(Path(tmp), "throughput", url)
        emails = sorted({email for scenario in SCENARIOS for email in scenario.emails})
        for email in emails:
            seed_account(url, email, HISTORY_ENTRIES, HISTORY_LOTS, LIVE_LOTS, LIVE_REMAINING)
        vacuum_analyze(url)
        outcomes = {scenario: run_scenario(project, scenario) for scenario in SCENARIOS}
        checks = child_json(project, "check", *emails)
    report(outcomes, checks)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def run_scenario(project: Project, scenario: Scenario) -> Outcome:
    workers = [
        subprocess.Popen(
            self_command(__file__, project, "worker", email, f"{index}", str(DURATION)),
            cwd=project.path,
            env=project.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index, email in enumerate(scenario.emails)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != READY:
                raise RuntimeError(f"a worker of {scenario.label!r} did not start")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{GO}\n")
            worker.stdin.flush()
        results = [
            json.loads(worker.communicate(timeout=DURATION + STARTUP_TIMEOUT)[0])
            for worker in workers
        ]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return Outcome(
        debits=sum(result["debits"] for result in results),
        written=sum(result["debits"] + result["warmup"] for result in results),
        errors=sum(result["errors"] for result in results),
        seconds=max(r["finished"] for r in results) - min(r["started"] for r in results),
        latencies_ms=[latency for result in results for latency in result["latencies_ms"]],
    )


def child_json(project: Project, *args: str) -> dict[str, Any]:
    output = project_output(project, self_command(__file__, project, *args))
    result: dict[str, Any] = json.loads(output)
    return result


def report(outcomes: dict[Scenario, Outcome], checks: dict[str, dict[str, int]]) -> None:
    for scenario, outcome in outcomes.items():
        quartiles = statistics.quantiles(outcome.latencies_ms, n=20)
        print(
            f"{scenario.label:22s} {outcome.rate:8,.0f} debits/s "
            f"({outcome.debits:,d} in {outcome.seconds:.1f} s, {outcome.errors} errors; "
            f"latency median {statistics.median(outcome.latencies_ms):.1f} ms, "
            f"p95 {quartiles[18]:.1f} ms)"
        )
    solo = outcomes[SOLO].rate
    print(f"ratio ({SHARED.label} / {SOLO.label}): {outcomes[SHARED].rate / solo:.2f}x")
    print(f"ratio ({SPREAD.label} / {SOLO.label}): {outcomes[SPREAD].rate / solo:.2f}x")
    print_checks(outcomes, checks)


def print_checks(outcomes: dict[Scenario, Outcome], checks: dict[str, dict[str, int]]) -> None:
    consistent = all(check["ledger_sum"] == check["book_balance"] for check in checks.values())
    for email, check in sorted(checks.items()):
        mark = "ok" if check["ledger_sum"] == check["book_balance"] else "MISMATCH"
        print(
            f"  {email:22s} ledger sum {check['ledger_sum']:>16,d} = book balance "
            f"{check['book_balance']:>16,d}: {mark}; {check['debits']:,d} debits written"
        )
    written = sum(outcome.written for outcome in outcomes.values())
    recorded = sum(check["debits"] for check in checks.values())
    print(
        f"ledger sum = book balance on every account: {'yes' if consistent else 'NO'}; "
        f"debits the workers counted {written:,d}, in the ledger {recorded:,d}: "
        f"{'ok' if written == recorded else 'MISMATCH'}"
    )


def child(project_path: Path, name: str, args: list[str]) -> None:
    django_setup(project_path, name)
    command, *rest = args
    if command == "worker":
        email, worker, duration = rest
        print(json.dumps(worker_run(email, worker, float(duration))))
    else:
        print(json.dumps(check(rest)))


def worker_run(email: str, worker: str, duration: float) -> dict[str, Any]:
    """Debit `email`'s account for `duration` seconds after the parent says go."""
    from django.db import DatabaseError

    from quickscale.apps.credits.services import credits_consume
    from quickscale.apps.orgs.models import Organization

    # Looked up once, before the clock starts: the debits spend the organization's credits and
    # name its person as their actor, as the API's do.
    organization = Organization.objects.select_related("personal_owner").get(
        personal_owner__email=email
    )
    user = organization.personal_owner
    prefix = f"{KEY_PREFIX}{worker}:{time.time_ns()}:"
    for index in range(WARMUP_DEBITS):
        credits_consume(
            organization=organization,
            actor=user,
            amount=1,
            idempotency_key=f"{prefix}warmup:{index}",
        )
    print(READY, flush=True)
    if sys.stdin.readline().strip() != GO:
        raise SystemExit("no go")
    debits = errors = 0
    latencies_ms: list[float] = []
    started = time.monotonic()  # system-wide on Linux: comparable between the workers
    deadline = started + duration
    now = started
    while now < deadline:
        try:
            credits_consume(
                organization=organization,
                actor=user,
                amount=1 + debits % DEBIT_AMOUNTS,
                idempotency_key=f"{prefix}{debits + errors}",
                metadata={"endpoint": "/api/generate"},
            )
            debits += 1
        except DatabaseError:
            errors += 1
        finished = time.monotonic()
        latencies_ms.append((finished - now) * 1000)
        now = finished
    return {
        "debits": debits,
        "warmup": WARMUP_DEBITS,
        "errors": errors,
        "started": started,
        "finished": now,
        "latencies_ms": latencies_ms,
    }


def check(emails: list[str]) -> dict[str, dict[str, int]]:
    """Each account's (personal organization's) ledger sum, book balance and number of
    benchmark debits."""
    from quickscale.apps.credits.models import EntryKind, LedgerEntry
    from quickscale.apps.credits.selectors import credit_book_balance, ledger_sum
    from quickscale.apps.orgs.models import Organization

    results = {}
    for email in emails:
        organization = Organization.objects.get(personal_owner__email=email)
        debits = LedgerEntry.objects.filter(
            organization=organization,
            kind=EntryKind.DEBIT,
            idempotency_key__startswith=KEY_PREFIX,
        ).count()
        results[email] = {
            "ledger_sum": ledger_sum(organization=organization),
            "book_balance": credit_book_balance(organization=organization),
            "debits": debits,
        }
    return results


if __name__ == "__main__":
    main()
