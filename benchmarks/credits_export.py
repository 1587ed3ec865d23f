"""Peak memory of `manage.py quickscale_credits ledger --format csv|json` on a ledger of
1,000,000 entries, against the same command on a 10-entry ledger in the same run.

The ledgers are bulk loaded into a generated project on PostgreSQL. Each export runs as its own
process writing to /dev/null; its peak RSS comes from wait4(). The export streams when the ratio
stays close to 1. Export time and rows per second are printed too (wall time of the whole
command, Django's start-up included; the net figure leaves out the 10-entry command's time).
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from support import (
    PYTHON,
    Project,
    postgres_project,
    project_output,
    run_peak_rss,
    seed_account,
    throwaway_database,
    vacuum_analyze,
)

SMALL_ENTRIES = 10
LARGE_ENTRIES = 1_000_000
LARGE_LOTS = 200
LIVE_LOTS = 5
LIVE_REMAINING = 1_000
SMALL_EMAIL = "small@example.com"
LARGE_EMAIL = "large@example.com"
FORMATS = ("csv", "json")
BASELINE_RUNS = 3
LARGE_RUNS = 1
MIB = 1024 * 1024


@dataclass(frozen=True)
class Export:
    seconds: float
    peak_rss: int  # bytes


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("bench_export") as url:
        project = postgres_project(Path(tmp), "export", url)
        seed_account(url, SMALL_EMAIL, SMALL_ENTRIES, LIVE_LOTS, LIVE_LOTS, LIVE_REMAINING)
        seed_account(url, LARGE_EMAIL, LARGE_ENTRIES, LARGE_LOTS, LIVE_LOTS, LIVE_REMAINING)
        vacuum_analyze(url)
        check_output(project)
        for fmt in FORMATS:
            baseline = measure(project, SMALL_EMAIL, fmt, BASELINE_RUNS)
            large = measure(project, LARGE_EMAIL, fmt, LARGE_RUNS)
            report(fmt, baseline, large)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def ledger_command(email: str, fmt: str) -> list[str]:
    return [PYTHON, "manage.py", "quickscale_credits", "ledger", "--user", email, "--format", fmt]


def check_output(project: Project) -> None:
    """The small ledger's exports hold its entries, so the timed runs export something real."""
    for fmt in FORMATS:
        output = project_output(project, ledger_command(SMALL_EMAIL, fmt))
        rows = list(csv.DictReader(output.splitlines())) if fmt == "csv" else json.loads(output)
        if len(rows) != SMALL_ENTRIES:
            raise AssertionError(f"the {fmt} export has {len(rows)} rows, not {SMALL_ENTRIES}")


def measure(project: Project, email: str, fmt: str, runs: int) -> Export:
    exports = []
    with open(os.devnull, "wb") as devnull:
        for _ in range(runs):
            seconds, peak = run_peak_rss(
                ledger_command(email, fmt), project.path, project.env, devnull
            )
            exports.append(Export(seconds, peak))
    return Export(
        statistics.median(export.seconds for export in exports),
        int(statistics.median(export.peak_rss for export in exports)),
    )


def report(fmt: str, baseline: Export, large: Export) -> None:
    for entries, export, runs in (
        (SMALL_ENTRIES, baseline, BASELINE_RUNS),
        (LARGE_ENTRIES, large, LARGE_RUNS),
    ):
        print(
            f"{fmt:4s} {entries:>9,d} entries: peak RSS {export.peak_rss / MIB:6.1f} MiB, "
            f"{export.seconds:6.2f} s (median of {runs})"
        )
    rate = LARGE_ENTRIES / large.seconds
    net = LARGE_ENTRIES / (large.seconds - baseline.seconds)
    print(f"{fmt:4s} export: {rate:,.0f} rows/s ({net:,.0f} rows/s without start-up)")
    print(
        f"{fmt:4s} ratio (peak RSS {LARGE_ENTRIES:,d} / {SMALL_ENTRIES} entries): "
        f"{large.peak_rss / baseline.peak_rss:.2f}x; goal: close to 1"
    )


if __name__ == "__main__":
    main()
