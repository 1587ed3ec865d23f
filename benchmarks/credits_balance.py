"""What a balance read costs when the account's ledger holds 1,000,000 entries instead of 10.

An account is a user's personal organization. Both hold the same five live lots (subscription,
pay-as-you-go, promotional); the large one also has 195 lots spent or expired long ago and the
million entries that emptied them, bulk loaded into the ledger, lots and allocations of a
generated project on PostgreSQL, then VACUUM ANALYZEd. A child process sets up the project's
Django and times `credit_balance_get` warm, alternating between the accounts; the figure is the
ratio of the medians.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from support import (
    django_setup,
    postgres_project,
    project_output,
    seed_account,
    self_command,
    throwaway_database,
    vacuum_analyze,
)

SMALL_ENTRIES = 10
LARGE_ENTRIES = 1_000_000
LARGE_LOTS = 200
LIVE_LOTS = 5
LIVE_REMAINING = 1_000  # the live lots hold 1,000, 2,000, … credits
ACCOUNTS = {  # e-mail: (ledger entries, lots)
    "small@example.com": (SMALL_ENTRIES, LIVE_LOTS),
    "large@example.com": (LARGE_ENTRIES, LARGE_LOTS),
}
WARMUP_CALLS = 500
ROUNDS = 20
CALLS_PER_ROUND = 250  # per account; the accounts alternate round by round
GOAL_RATIO = 1.2
NS_PER_US = 1_000


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_balance") as url:
        project = postgres_project(Path(tmp), "balance", url)
        seeding = time.perf_counter()
        for email, (entries, lots) in ACCOUNTS.items():
            seed_account(url, email, entries, lots, LIVE_LOTS, LIVE_REMAINING)
        vacuum_analyze(url)
        seeded = time.perf_counter() - seeding
        output = project_output(project, self_command(__file__, project, *ACCOUNTS))
    report(json.loads(output), seeded, time.perf_counter() - started)


def report(results: dict[str, dict[str, Any]], seeded: float, total: float) -> None:
    for email, (entries, lots) in ACCOUNTS.items():
        result = results[email]
        print(
            f"{entries:>9,d} ledger entries, {lots:3d} lots ({LIVE_LOTS} live): "
            f"median {result['median_us']:6.1f} µs, p95 {result['p95_us']:6.1f} µs "
            f"over {result['calls']:,d} warm calls; balance {result['total']:,d}"
        )
    small, large = (results[email]["median_us"] for email in ACCOUNTS)
    print(
        f"ratio ({LARGE_ENTRIES:,d} / {SMALL_ENTRIES} entries): {large / small:.2f}x; "
        f"goal: at most {GOAL_RATIO}x"
    )
    print(f"(seeding {seeded:.0f} s; whole run {total:.0f} s)")


def child(project_path: Path, name: str, emails: list[str]) -> None:
    """In the project's Django: time `credit_balance_get` on each account (the personal
    organization of each user, looked up once, before any timing), print JSON."""
    django_setup(project_path, name)
    from quickscale.apps.credits.selectors import credit_balance_get
    from quickscale.apps.orgs.models import Organization

    organizations = {
        email: Organization.objects.get(personal_owner__email=email) for email in emails
    }
    for organization in organizations.values():
        for _ in range(WARMUP_CALLS):
            credit_balance_get(organization=organization)
    samples: dict[str, list[int]] = {email: [] for email in emails}
    for _ in range(ROUNDS):
        for email, organization in organizations.items():
            timings = samples[email]
            for _ in range(CALLS_PER_ROUND):
                begun = time.perf_counter_ns()
                credit_balance_get(organization=organization)
                timings.append(time.perf_counter_ns() - begun)
    results = {
        email: {
            **summary(samples[email]),
            "total": credit_balance_get(organization=organization).total,
        }
        for email, organization in organizations.items()
    }
    print(json.dumps(results))


def summary(timings_ns: list[int]) -> dict[str, Any]:
    percentiles = statistics.quantiles(timings_ns, n=100)
    return {
        "calls": len(timings_ns),
        "median_us": statistics.median(timings_ns) / NS_PER_US,
        "p95_us": percentiles[94] / NS_PER_US,
    }


if __name__ == "__main__":
    main()
