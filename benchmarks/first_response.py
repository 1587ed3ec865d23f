"""Time from `quickscale init` to the first 200 on `/`, on SQLite, including `migrate`.

Baseline, in the same run: `django-admin startproject`, `migrate` and `runserver` of Django's
default project until its `/` answers 200.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from support import BIN, PYTHON, clean_env, free_port, median, run, serving, wait_for_200

RUNS = 3


def first_response(root: Path, generate: list[str], project: Path) -> dict[str, float]:
    env = clean_env()
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


def main() -> None:
    results: dict[str, list[dict[str, float]]] = {"quickscale": [], "django": []}
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
    for label, runs in results.items():
        parts = {key: median([r[key] for r in runs]) for key in runs[0]}
        print(
            f"{label:10s} init→first 200: {parts['total']:5.2f} s "
            f"(generate {parts['generate']:.2f}, migrate {parts['migrate']:.2f}, "
            f"serve {parts['serve']:.2f}); median of {RUNS}"
        )
    qs = median([r["total"] for r in results["quickscale"]])
    dj = median([r["total"] for r in results["django"]])
    print(f"ratio (quickscale / django default project): {qs / dj:.2f}x; goal: under 10 s")


if __name__ == "__main__":
    main()
