"""Redis going away degrades the site, never breaks it: the cache the generated project
configures with REDIS_URL, against a Redis on a port nothing listens on, and against a
redis-server of the test's own that is killed and started again mid-test."""

import json
import logging
import subprocess
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from tests.orgs import personal
from tests.servers import (
    LOOPBACK,
    REDIS_DB,
    HungServer,
    RedisServer,
    free_port,
    manage,
    project_environment,
    runserver,
    wait_until,
)

pytestmark = pytest.mark.django_db

PASSWORD = "an unusual passphrase 42"
RUN_BODY = json.dumps({"text": "One sentence. Two!"})
API_RATE = "3/m"
RECOVERY_TIMEOUT = 30.0  # seconds: the cache's back-off is a few seconds
TOO_MANY = "Too many failed login attempts"


def project_caches(project_dir, redis_url):
    """CACHES as the generated project computes them with REDIS_URL set."""
    code = "import json, testproject.settings as s; print(json.dumps(s.CACHES))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_dir,
        env=project_environment(REDIS_URL=redis_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people(db):
    users = get_user_model().objects
    customer = users.create_user(email="ada@example.com", password=PASSWORD)
    credits_grant(
        organization=personal(customer), amount=1000, kind="payg", idempotency_key="outage-fund"
    )
    staff = users.create_user(
        email="root@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )
    token = api_key_create(organization=personal(customer), user=customer, name="laptop").token
    return customer, staff, token


def browser():
    # A failure is a status to compare, as a visitor would see it, not an exception here.
    return Client(raise_request_exception=False)


def api_client(token):
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def api_calls(token):
    """Every JSON endpoint, with a key; the session-authenticated face is in `pages`."""
    api = api_client(token)
    return {
        "GET balance": (api.get("/api/v1/credits/balance"), 200),
        "GET services": (api.get("/api/v1/services"), 200),
        "POST run": (
            api.post(
                "/api/v1/services/text_statistics/run", RUN_BODY, content_type="application/json"
            ),
            200,
        ),
        "POST run of an unknown service": (
            api.post("/api/v1/services/nothing/run", RUN_BODY, content_type="application/json"),
            404,
        ),
        "GET usage": (api.get("/api/v1/usage"), 200),
        "GET openapi.json": (api.get("/api/v1/openapi.json"), 200),
    }


def pages(customer, staff, healthz_status):
    anonymous = browser()
    signed_in = browser()
    signed_in.force_login(customer)
    form = signed_in.get(reverse("account_api_keys")).context["form"]
    keys_before = ApiKey.objects.count()
    staff_browser = browser()
    admin_login = staff_browser.post(
        reverse("account_login") + "?next=" + reverse("admin:index"),
        {"login": staff.email, "password": PASSWORD},
    )
    visits = {
        "GET home": (anonymous.get(reverse("home")), 200),
        "GET login": (anonymous.get(reverse("account_login")), 200),
        "POST login, wrong password": (
            anonymous.post(
                reverse("account_login"), {"login": customer.email, "password": "not it"}
            ),
            200,
        ),
        "POST login": (
            browser().post(
                reverse("account_login"), {"login": customer.email, "password": PASSWORD}
            ),
            302,
        ),
        "POST sign-up": (
            browser().post(
                reverse("account_signup"),
                {
                    "email": f"new-{uuid.uuid4().hex}@example.com",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                },
            ),
            302,
        ),
        "POST password reset": (
            anonymous.post(reverse("account_reset_password"), {"email": customer.email}),
            302,
        ),
        "GET API keys page": (signed_in.get(reverse("account_api_keys")), 200),
        "POST API key creation": (
            signed_in.post(
                reverse("account_api_key_create"),
                {"name": "outage", "nonce": form.initial["nonce"]},
            ),
            200,
        ),
        "GET credits page": (signed_in.get(reverse("credits_overview")), 200),
        "GET API docs page": (signed_in.get(reverse("api_docs")), 200),
        "GET balance, signed in": (signed_in.get("/api/v1/credits/balance"), 200),
        # The admin's log-in is allauth's (with ?next= back to the admin).
        "GET admin login": (browser().get(reverse("admin:login"), follow=True), 200),
        "POST admin login": (admin_login, 302),
        "GET admin index, signed in": (staff_browser.get(reverse("admin:index")), 200),
        "GET healthz": (anonymous.get(reverse("healthz")), healthz_status),
    }
    return visits, ApiKey.objects.count() - keys_before


def statuses(visits):
    return {label: response.status_code for label, (response, _) in visits.items()}


def expected(visits):
    return {label: status for label, (_, status) in visits.items()}


def assert_as_usual(visits, keys_made=None):
    assert statuses(visits) == expected(visits)
    assert keys_made in (None, 1), "the API key creation page made no key"
    for label, (response, _) in visits.items():
        if label.startswith(("GET balance", "GET services", "POST run", "GET usage", "GET open")):
            assert response["Content-Type"] == "application/json", label


def api_calls_until_limited(token, most):
    """Send paid-for API calls until one is refused with 429; the statuses."""
    api = api_client(token)
    seen = []
    while len(seen) < most and 429 not in seen:
        seen.append(api.get("/api/v1/credits/balance").status_code)
    return seen


def log_in_after_failures(email, failures):
    client = browser()
    for _ in range(failures):
        client.post(reverse("account_login"), {"login": email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    return response, "_auth_user_id" in client.session


def degraded(client=None):
    response = (client or browser()).get(reverse("healthz"))
    return response.status_code, response.json()


def test_with_no_redis_every_page_and_api_call_answers_as_usual(test_project_dir, people):
    customer, staff, token = people
    nothing_there = f"redis://{LOOPBACK}:{free_port()}/{REDIS_DB}"
    with override_settings(
        CACHES=project_caches(test_project_dir, nothing_there), QUICKSCALE_API_RATE_LIMIT=API_RATE
    ):
        visits, keys_made = pages(customer, staff, healthz_status=503)
        assert_as_usual({**api_calls(token), **visits}, keys_made)
        # Over the API's rate and allauth's failed-login limit: let through, not refused.
        assert set(api_calls_until_limited(token, most=10)) == {200}
        let_through = degraded()[1]["degraded"]["rate_limits_not_enforced"]
        response, signed_in = log_in_after_failures(customer.email, failures=8)
        assert signed_in, response.content.decode()
        # allauth's limits are counted as let through: each of the 9 log-ins passed them.
        assert degraded()[1]["degraded"]["rate_limits_not_enforced"] >= let_through + 9
        status, body = degraded()
    assert status == 503
    assert body["checks"] == {"database:default": "ok", "cache": "error"}
    assert body["degraded"]["cache_errors"] > 0
    assert body["degraded"]["rate_limits_not_enforced"] > 0


def test_limits_fail_open_while_redis_is_down_and_hold_again_once_it_is_back(
    test_project_dir, people, redis_server, caplog
):
    customer, staff, token = people
    caches = project_caches(test_project_dir, redis_server.url)
    with override_settings(CACHES=caches, QUICKSCALE_API_RATE_LIMIT=API_RATE):
        # Redis up: the limits hold.
        assert api_calls_until_limited(token, most=7)[-1] == 429
        response, signed_in = log_in_after_failures(customer.email, failures=5)
        assert not signed_in and TOO_MANY in response.content.decode()
        assert degraded()[0] == 200
        before = degraded()[1]["degraded"]

        redis_server.stop()
        with caplog.at_level(logging.WARNING):
            assert set(api_calls_until_limited(token, most=10)) == {200}
            response, signed_in = log_in_after_failures(customer.email, failures=6)
            assert signed_in, response.content.decode()
            assert_as_usual(*pages(customer, staff, healthz_status=503))
            assert_as_usual(api_calls(token))
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any("rate limit" in r.getMessage().lower() for r in warnings), warnings
        assert any("cache" in r.getMessage().lower() for r in warnings), warnings
        status, body = degraded()
        assert status == 503
        after = body["degraded"]
        assert after["cache_errors"] > before["cache_errors"]
        assert after["rate_limits_not_enforced"] >= before["rate_limits_not_enforced"] + 10

        # The same port again, an empty Redis: no restart of anything here.
        redis_server.start()
        wait_until(lambda: degraded()[0] == 200, RECOVERY_TIMEOUT, "healthz answering 200")
        wait_until(
            lambda: api_calls_until_limited(token, most=7)[-1] == 429,
            RECOVERY_TIMEOUT,
            "the API rate limit holding again",
        )
        assert_as_usual(*pages(customer, staff, healthz_status=200))
        response, signed_in = log_in_after_failures(customer.email, failures=5)
        assert not signed_in and TOO_MANY in response.content.decode()


@pytest.mark.slow
def test_a_running_project_rides_out_a_redis_outage(test_project_dir, tmp_path):
    """The generated project under runserver, with REDIS_URL pointing at a redis-server that
    is killed and started again while the project keeps running."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    env = project_environment(
        DEBUG="True",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis_server.url,
    )
    manage(test_project_dir, "migrate", "--noinput", env=env)
    token = manage(
        test_project_dir,
        "shell",
        "-c",
        "from quickscale.apps.accounts.models import User\n"
        "from quickscale.apps.keys.services import api_key_create\n"
        "from quickscale.apps.orgs.services import organization_personal_ensure\n"
        f"user = User.objects.create_user(email='ada@example.com', password={PASSWORD!r})\n"
        "organization = organization_personal_ensure(user=user)\n"
        "print(api_key_create(organization=organization, user=user, name='outage').token)",
        env=env,
    ).stdout.split()[-1]
    log = tmp_path / "runserver.log"
    try:
        with runserver(test_project_dir, env, log) as base:
            http = HttpClient(base)
            limit = 120  # QUICKSCALE_API_RATE_LIMIT's default, per minute
            assert http.api_until_limited(token, most=3 * limit + 1)[-1] == 429
            assert http.get("/healthz")[0] == 200

            redis_server.stop()
            assert set(http.api_until_limited(token, most=20)) == {200}
            assert http.log_in("ada@example.com", PASSWORD) == 302
            status, body = http.get("/healthz")
            assert status == 503, body
            health = json.loads(body)
            assert health["checks"]["cache"] == "error"
            assert health["degraded"]["rate_limits_not_enforced"] >= 20
            assert "rate limit" in log.read_text().lower()

            redis_server.start()
            wait_until(lambda: http.get("/healthz")[0] == 200, RECOVERY_TIMEOUT, "healthz 200")
            assert http.api_until_limited(token, most=3 * limit + 1)[-1] == 429
            assert http.log_in("ada@example.com", PASSWORD) == 302
        assert "Traceback" not in log.read_text()
    finally:
        redis_server.stop()


class HttpClient:
    """Plain HTTP to a running server, with a cookie jar and Django's CSRF token."""

    def __init__(self, base):
        import http.cookiejar
        import urllib.request

        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()
        )

    def request(self, path, data=None, headers=None):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path, headers=None):
        return self.request(path, headers=headers)

    def api_until_limited(self, token, most):
        seen = []
        while len(seen) < most and 429 not in seen:
            status, body = self.get(
                "/api/v1/credits/balance", headers={"Authorization": f"Bearer {token}"}
            )
            assert status < 500, body
            seen.append(status)
        return seen

    def log_in(self, email, password):
        from urllib.parse import urlencode

        self.get("/accounts/login/")
        csrf = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        status, body = self.request(
            "/accounts/login/",
            data=urlencode(
                {"login": email, "password": password, "csrfmiddlewaretoken": csrf}
            ).encode(),
            headers={"Referer": self.base + "/accounts/login/"},
        )
        assert status < 500, body
        return status


def degrading_cache(url, **options):
    from quickscale.cache import DegradingRedisCache

    return DegradingRedisCache(url, {"KEY_PREFIX": uuid.uuid4().hex, "OPTIONS": options})


def test_while_redis_does_not_answer_every_operation_answers_as_an_empty_cache():
    from asgiref.sync import async_to_sync

    from quickscale.degraded import CACHE_ERRORS

    cache = degrading_cache(f"redis://{LOOPBACK}:{free_port()}/{REDIS_DB}")
    before = CACHE_ERRORS.count
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is True  # as if absent: allauth's lock and the key form go on
    assert cache.set("k", 1) is None
    assert cache.incr("k") == 1 and cache.decr("k", 2) == -2  # counting from nothing
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # not stored
    assert cache.delete_many(["a", "b"]) is None
    assert cache.get_or_set("k", "computed") == "computed"
    assert cache.clear() is None
    assert async_to_sync(cache.aget)("k", "default") == "default"
    assert CACHE_ERRORS.count - before >= 15


def test_a_hung_redis_is_tried_once_per_back_off_and_the_health_probe_still_asks_it():
    import redis

    hung = HungServer()
    try:
        cache = degrading_cache(
            hung.url, backoff=3600, socket_connect_timeout=0.2, socket_timeout=0.2
        )
        assert [cache.get(f"k{i}", "miss") for i in range(20)] == ["miss"] * 20
        assert cache.add("lock", True) is True
        # One connection, which timed out; the other calls did not wait on it.
        assert len(hung.accepted) == 1
        with pytest.raises(redis.TimeoutError):
            cache.probe("quickscale:healthz", "ok", 10)
        assert len(hung.accepted) == 2
    finally:
        hung.close()
