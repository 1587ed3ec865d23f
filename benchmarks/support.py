"""What the benchmark scripts share: running commands, serving a project, waiting for it."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

PYTHON = sys.executable
BIN = Path(PYTHON).parent
POLL_INTERVAL = 0.02  # seconds


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(extra)
    return env


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or clean_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_200(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


@contextmanager
def serving(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env or clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
