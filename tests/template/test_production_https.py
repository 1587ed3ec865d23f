"""A generated project served in production mode by the server it ships (gunicorn), asked over
plain http and over https (the proxy's X-Forwarded-Proto), as real requests."""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time

import pytest

from tests.template.conftest import manage

pytestmark = pytest.mark.slow

HOST = "app.example.com"
RUN = "/api/v1/services/text_statistics/run"
STARTUP_TIMEOUT = 60  # seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "QUICKSCALE_TEST"))
    }
    env.update(
        DATABASE_URL="",  # the project's own SQLite file
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DEFAULT_FROM_EMAIL="hello@example.com",
        **extra,
    )
    return env


class Server:
    def __init__(self, project, env):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn"],
            cwd=project,
            env={
                **env,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "2",
                "GUNICORN_LOG_LEVEL": "warning",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz", https=True)[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.process.stderr.read().decode()
            time.sleep(0.2)
        raise AssertionError("gunicorn did not answer /healthz")

    def request(self, method, path, *, https, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        sent = {"Host": HOST, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        answer = (response.status, dict(response.getheaders()), response.read())
        connection.close()
        return answer

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def migrated(project):
    manage(project, "migrate", "--noinput", env=production_env())
    return project


@pytest.fixture(scope="module")
def production(migrated):
    server = Server(migrated, production_env())
    yield server
    server.stop()


KEY = {"Authorization": "Bearer sk_t.not-a-real-secret-but-sent-in-clear-anyway"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", RUN, {**KEY, "Content-Type": "application/json"}, b'{"text": "Hi."}'),
        ("POST", RUN, {}, b"{}"),
        ("GET", "/api/v1/credits/balance", KEY, None),
        ("GET", "/api/v1/openapi.json", {}, None),
        ("GET", "/api/v1/no-such-endpoint", KEY, None),
        ("DELETE", "/api/v1/usage", KEY, None),
    ],
)
def test_the_api_refuses_plain_http_with_a_json_403(production, method, path, headers, body):
    status, answer_headers, content = production.request(
        method, path, https=False, headers=headers, body=body
    )
    assert status == 403
    assert answer_headers["Content-Type"] == "application/json"
    error = json.loads(content)["error"]
    assert error["code"] == "https_required"
    assert "https://" in error["message"]
    assert "Location" not in answer_headers


def test_over_https_the_same_call_reaches_the_api(production):
    status, _, content = production.request(
        "POST", RUN, https=True, headers={**KEY, "Content-Type": "application/json"}, body=b"{}"
    )
    assert status == 401
    assert json.loads(content)["error"]["code"] != "https_required"


def test_pages_still_redirect_to_https_and_the_health_check_answers_over_http(production):
    status, headers, _ = production.request("GET", "/accounts/login/", https=False)
    assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"
    assert production.request("GET", "/healthz", https=False)[0] == 200


def test_without_the_https_redirect_the_api_answers_plain_http(migrated):
    server = Server(migrated, production_env(SECURE_SSL_REDIRECT="False"))
    try:
        status, _, content = server.request(
            "GET", "/api/v1/credits/balance", https=False, headers=KEY
        )
    finally:
        server.stop()
    assert status == 401
    assert json.loads(content)["error"]["code"] != "https_required"
