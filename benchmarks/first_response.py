"""Time from `quickscale init` to the first 200 on `/`, on SQLite, including `migrate`.

Baseline, in the same run: `django-admin startproject`, `migrate` and `runserver` of Django's
default project until its `/` answers 200. Also in the same run: the same with `migrate`'s fast
path off (QUICKSCALE_MIGRATE_FAST=False, every migration applied Django's way; slow, so run
once), and `make demo` from a clean demo directory (init, migrate, the fake Stripe,
quickscale_demo with its catalogue and webhook endpoint, runserver) until its first page
answers 200.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from support import BIN, PYTHON, clean_env, free_port, median, run, serving, wait_for_200

RUNS = 3
SLOW_RUNS = 1  # the fast path off: a minute a run
REPOSITORY = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 10  # seconds


def first_response(
    root: Path, generate: list[str], project: Path, **extra_env: str
) -> dict[str, float]:
    env = clean_env(**extra_env)
    started = time.perf_counter()
    run(generate, root, env)
    generated = time.perf_counter()
    run([PYTHON, "manage.py", "migrate", "--noinput"], project, env)
    migrated = time.perf_counter()
    port = free_port()
    with serving([PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], project):
        wait_for_200(f"http://127.0.0.1:{port}/")
        answered = time.perf_counter()
    return {
        "generate": generated - started,
        "migrate": migrated - generated,
        "serve": answered - migrated,
        "total": answered - started,
    }


def make_demo(root: Path) -> float:
    """`make demo` into a clean directory, with this virtualenv, until `/` answers 200."""
    port = free_port()
    command = [
        "make",
        "-C",
        str(REPOSITORY),
        "demo",
        f"VENV={BIN.parent}",
        f"DEMO_DIR={root / 'demo'}",
        f"PORT={port}",
        f"STRIPE_PORT={free_port()}",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # make, its shell and runserver's reloader: one group to stop
    )
    try:
        wait_for_200(f"http://127.0.0.1:{port}/", timeout=300)
        return time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)


def main() -> None:
    results: dict[str, list[dict[str, float]]] = {
        "quickscale": [],
        "django": [],
        "fast off": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for index in range(RUNS):
            name = f"first{index}"
            results["quickscale"].append(
                first_response(
                    root,
                    [PYTHON, "-m", "quickscale", "init", name, "--directory", f"qs/{name}"],
                    root / "qs" / name,
                )
            )
            results["django"].append(
                first_response(root, [str(BIN / "django-admin"), "startproject", name], root / name)
            )
        for index in range(SLOW_RUNS):
            name = f"slow{index}"
            results["fast off"].append(
                first_response(
                    root,
                    [PYTHON, "-m", "quickscale", "init", name, "--directory", f"qs/{name}"],
                    root / "qs" / name,
                    QUICKSCALE_MIGRATE_FAST="False",
                )
            )
        demo = make_demo(root)
    for label, runs in results.items():
        parts = {key: median([r[key] for r in runs]) for key in runs[0]}
        print(
            f"{label:10s} init→first 200: {parts['total']:5.2f} s "
            f"(generate {parts['generate']:.2f}, migrate {parts['migrate']:.2f}, "
            f"serve {parts['serve']:.2f}); median of {len(runs)}"
        )
    qs = median([r["total"] for r in results["quickscale"]])
    dj = median([r["total"] for r in results["django"]])
    off = median([r["total"] for r in results["fast off"]])
    print(f"ratio (quickscale / django default project): {qs / dj:.2f}x; goal: under 10 s")
    print(f"ratio (fast path off / django default project): {off / dj:.2f}x")
    print(f"fast path: {off / qs:.1f}x faster to the first 200 than without it")
    print(f"make demo (clean demo directory, warm virtualenv) → first page: {demo:5.2f} s")


if __name__ == "__main__":
    main()
