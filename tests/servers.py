"""Real servers a test starts and stops itself: a redis-server of its own, and a generated
project served by `manage.py runserver` in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

LOOPBACK = "127.0.0.1"
REDIS_DB = 13  # this suite's database number on any Redis it uses
START_TIMEOUT = 30.0  # seconds
POLL_INTERVAL = 0.05  # seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(POLL_INTERVAL)


class RedisServer:
    """`redis-server` on a port of its own, with nothing saved to disk; stop() kills it the way
    a crash would, start() brings it back, empty, on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{REDIS_DB}"

    def answers(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, START_TIMEOUT, f"redis-server on port {self.port} answering")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class HungServer:
    """A TCP port that accepts connections and never answers, as a hung Redis would; it
    counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.sock.settimeout(POLL_INTERVAL)
        self._closed = False
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{REDIS_DB}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self._closed = True
        self._thread.join()
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def project_environment(**extra: str) -> dict[str, str]:
    """The environment a developer's shell would give the generated project: none of the test
    run's own Django or pytest variables."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "QUICKSCALE_TEST", "DATABASE_URL"))
    }
    environment.update(extra)
    return environment


def manage(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=project, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def runserver(project: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`manage.py runserver` (no autoreloader) on a free port; its base URL. Its output goes to
    `log`, which a failing test can read."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"{LOOPBACK}:{port}"],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{LOOPBACK}:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"runserver exited {process.returncode}:\n{log.read_text()}")
        return _answers(base + "/healthz")

    try:
        wait_until(ready, START_TIMEOUT, "runserver answering")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
