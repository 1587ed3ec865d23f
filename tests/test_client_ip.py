"""Which address a request comes from, behind zero or more trusted proxies."""

import http.client
import json
import os
import socket
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.internal import httpkit
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings

from quickscale.client_ip import client_ip, client_ip_rate_key
from tests.orgs import personal

PROXY = "10.0.0.2"


def request(xff=None, remote=PROXY, **headers):
    meta = {"REMOTE_ADDR": remote, **headers}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


def test_with_no_trusted_proxy_the_peer_address_counts_and_x_forwarded_for_is_ignored():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=0):
        assert client_ip(request(xff="198.51.100.7", remote="203.0.113.9")) == "203.0.113.9"


def test_the_rule_reads_the_count_lazily_and_defaults_to_no_proxy(settings):
    del settings.ALLAUTH_TRUSTED_PROXY_COUNT
    assert client_ip(request(xff="198.51.100.7", remote="203.0.113.9")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        # One proxy appends the address it saw; whatever the client wrote before it is ignored.
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),
        (1, "forged, 1.2.3.4,203.0.113.9", "203.0.113.9"),
        # A CDN then a load balancer: the CDN saw the client, the balancer saw the CDN.
        (2, "198.51.100.7, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # Fewer entries than proxies (a request that skipped the outer one): the outermost
        # entry a trusted proxy wrote, not a 500.
        (3, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "203.0.113.9:51234", "203.0.113.9"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_x_forwarded_for_is_counted_from_the_right_by_the_trusted_count(count, xff, expected):
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=count):
        assert client_ip(request(xff=xff)) == expected


def test_a_request_that_reached_django_without_the_proxy_is_known_by_its_peer_address():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request(remote="203.0.113.9")) == "203.0.113.9"


@pytest.mark.parametrize(
    "xff",
    ["not an address", " , ", "203.0.113.9, nonsense", "unknown", "1.2.3.4:x", "[::1]x", "[::1"],
)
def test_an_entry_that_is_not_an_address_gives_no_address(xff):
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request(xff=xff)) is None


def test_a_trusted_client_ip_header_wins_as_in_allauth():
    with override_settings(
        ALLAUTH_TRUSTED_CLIENT_IP_HEADER="CF-Connecting-IP", ALLAUTH_TRUSTED_PROXY_COUNT=1
    ):
        assert client_ip(request(xff="9.9.9.9", HTTP_CF_CONNECTING_IP="203.0.113.9")) == (
            "203.0.113.9"
        )
        assert client_ip(request(xff="9.9.9.9")) is None


@pytest.mark.parametrize(
    ("count", "header", "meta"),
    [
        (0, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}),
        (2, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 10.0.0.7"}),
        (1, None, {}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "nonsense"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "203.0.113.9:8443"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "203.0.113.9:x"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": ""}),
        (0, "X-Real-IP", {"HTTP_X_REAL_IP": "203.0.113.9"}),
    ],
)
def test_the_rule_agrees_with_allauth_s_own_where_allauth_s_has_an_answer(count, header, meta):
    with override_settings(
        ALLAUTH_TRUSTED_PROXY_COUNT=count, ALLAUTH_TRUSTED_CLIENT_IP_HEADER=header
    ):
        r = RequestFactory().get("/", REMOTE_ADDR=PROXY, **meta)
        assert client_ip(r) == httpkit.get_client_ip(r)


def test_allauth_asks_the_same_rule_and_refuses_a_request_with_no_address():
    adapter = get_adapter()
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=3):
        # allauth's own function raises ImproperlyConfigured here (a 500 for the visitor).
        assert adapter.get_client_ip(request(xff="203.0.113.9, 10.0.0.7")) == "203.0.113.9"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1), pytest.raises(PermissionDenied):
        adapter.get_client_ip(request(xff="nonsense"))


def test_rate_limits_count_an_ipv6_client_by_its_network_as_allauth_does():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        a = client_ip_rate_key(request(xff="2001:db8:1:2::1"))
        b = client_ip_rate_key(request(xff="2001:db8:1:2:ffff::9"))
        other = client_ip_rate_key(request(xff="2001:db8:1:3::1"))
        v4 = client_ip_rate_key(request(xff="203.0.113.9"))
    assert a == b == "2001:db8:1:2::"
    assert other != a
    assert v4 == "203.0.113.9"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1, ALLAUTH_RATE_LIMIT_IPV6_PREFIX=128):
        assert client_ip_rate_key(request(xff="2001:db8:1:2::1")) == "2001:db8:1:2::1"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip_rate_key(request(xff="nonsense")) == "unknown"


# Through a real nginx in front of the live server. Clients connect from different loopback
# addresses (127.0.0.2, 127.0.0.3), so nginx sees two clients and Django sees only nginx.
NGINX = Path(os.environ.get("QUICKSCALE_NGINX", "/usr/sbin/nginx"))
CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"
NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""
PASSWORD = "an unusual passphrase 42"
LIMIT = 5


@pytest.fixture
def nginx(live_server, tmp_path):
    """nginx on 127.0.0.1 proxying to the live server, appending to X-Forwarded-For."""
    if not NGINX.exists():
        message = f"{NGINX} is not installed (apt-get install nginx-light)"
        if os.environ.get("QUICKSCALE_REQUIRE_PROXY"):
            pytest.fail(f"Proxy tests are required here, but {message}.")
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp_path, port=port, upstream=live_server.url))
    process = subprocess.Popen(
        [str(NGINX), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {(tmp_path / 'error.log').read_text()}")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def through(port, source, method, path, body=None, headers=None):
    """One request to nginx from the loopback address `source`: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def log_in(port, source, email, password, forged=None):
    _, headers, _ = through(port, source, "GET", "/accounts/login/")
    token = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    form = {"login": email, "password": password, "csrfmiddlewaretoken": token}
    sent = {"Cookie": f"csrftoken={token}", "Content-Type": "application/x-www-form-urlencoded"}
    if forged:
        sent["X-Forwarded-For"] = forged
    status, _, body = through(port, source, "POST", "/accounts/login/", urlencode(form), sent)
    return status, body


@pytest.mark.django_db(transaction=True)
def test_behind_nginx_one_client_s_failed_log_ins_do_not_lock_out_another(nginx, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    for index in range(10):
        log_in(nginx, CLIENT_A, f"made-up-{index}@example.com", "wrong", forged=f"192.0.2.{index}")
    status, body = log_in(nginx, CLIENT_A, "ada@example.com", PASSWORD, forged="192.0.2.99")
    assert status == 200 and "Too many failed login attempts" in body
    status, _ = log_in(nginx, CLIENT_B, "ada@example.com", PASSWORD)
    assert status == 302


@pytest.mark.django_db(transaction=True)
def test_behind_nginx_with_no_trusted_count_every_client_is_the_proxy(nginx, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    for index in range(10):
        log_in(nginx, CLIENT_A, f"made-up-{index}@example.com", "wrong", forged=f"192.0.2.{index}")
    # What TRUSTED_PROXY_COUNT is for: without it, client B shares client A's lock-out.
    status, body = log_in(nginx, CLIENT_B, "ada@example.com", PASSWORD, forged="198.51.100.1")
    assert status == 200 and "Too many failed login attempts" in body


def key_call(port, source, key, forged=None):
    headers = {"Authorization": f"Bearer {key}"}
    if forged:
        headers["X-Forwarded-For"] = forged
    status, _, body = through(port, source, "GET", "/api/v1/credits/balance", headers=headers)
    return status, body


@pytest.mark.django_db(transaction=True)
def test_behind_nginx_a_key_guessing_client_is_limited_alone(nginx, settings):
    from quickscale.apps.keys.services import api_key_create

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = f"{LIMIT}/m"
    user = get_user_model().objects.create_user(email="dev@example.com")
    token = api_key_create(organization=personal(user), user=user, name="laptop").token
    wrong = "ZZZZ." + "x" * 32
    failures = [key_call(nginx, CLIENT_A, wrong, forged=f"192.0.2.{n}")[0] for n in range(LIMIT)]
    assert failures == [401] * LIMIT
    assert key_call(nginx, CLIENT_A, wrong, forged="192.0.2.200")[0] == 429
    assert key_call(nginx, CLIENT_A, token)[0] == 429
    status, body = key_call(nginx, CLIENT_B, token)
    assert status == 200 and json.loads(body)["total"] == 0


@pytest.mark.django_db(transaction=True)
def test_behind_nginx_with_no_trusted_count_a_forged_header_does_not_escape_the_limit(
    nginx, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = f"{LIMIT}/m"
    wrong = "ZZZZ." + "x" * 32
    statuses = [
        key_call(nginx, CLIENT_A, wrong, forged=f"192.0.2.{n}")[0] for n in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]
