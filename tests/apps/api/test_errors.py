"""Under /api/ every answer is JSON in the documented error shape, whatever went wrong and
wherever it went wrong: bad JSON, bad parameters and headers, a body over the limit, an unknown
path, a wrong method, and a real exception inside a view or inside the middleware."""

import json
import logging
import re

import pytest
from django.test import Client
from django.urls import URLPattern

from quickscale.apps.api import urls as api_urls
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.conf import app_settings
from tests.apps.api.helpers import key_table_gone
from tests.orgs import personal

pytestmark = pytest.mark.django_db

# Each endpoint of quickscale/apps/api/urls.py, by URL name: a concrete path and its methods.
# A new endpoint fails test_every_api_endpoint_is_listed_here until it is listed, and then gets
# every test below.
ENDPOINTS = {
    "api_balance": ("/api/v1/credits/balance", {"GET", "HEAD"}),
    "api_services": ("/api/v1/services", {"GET", "HEAD"}),
    "api_run": ("/api/v1/services/text_statistics/run", {"POST"}),
    "api_usage": ("/api/v1/usage", {"GET", "HEAD"}),
    "api_openapi": ("/api/v1/openapi.json", {"GET", "HEAD"}),
    "api_docs": ("/api/docs", {"GET", "HEAD"}),
}
PATHS = [path for path, _ in ENDPOINTS.values()]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.fixture
def funded(api, customer):
    credits_grant(
        organization=personal(customer), amount=100, kind="payg", idempotency_key="funded"
    )
    return api


@pytest.fixture(autouse=True)
def _urls_as_in_development(settings):
    # With DEBUG on, the project serves the page-reload URLs its pages link to.
    settings.ROOT_URLCONF = "tests.apps.api.urls"


@pytest.fixture
def quiet_client(token):
    """A client that answers like a server: an exception is its 500, not raised into the test."""
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_every_api_endpoint_is_listed_here():
    names = {pattern.name for pattern in api_urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert names == set(ENDPOINTS)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_answers_a_wrong_method_with_a_json_405_and_allow(funded, name):
    path, allowed = ENDPOINTS[name]
    for method in METHODS:
        if method in allowed:
            continue
        response = funded.generic(method, path, b"{}", content_type="application/json")
        assert_error(response, 405, "method_not_allowed")
        assert set(response["Allow"].replace(" ", "").split(",")) <= allowed | {"OPTIONS"}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_path_under_the_api_is_a_json_404(funded, settings, path, debug):
    settings.DEBUG = debug
    for unknown in (path + "x", path + "/", path + "/nope", path.rsplit("/", 1)[0] + "/nope"):
        assert_error(funded.get(unknown), 404, "not_found")
    assert_error(funded.get("/api/"), 404, "not_found")
    assert_error(
        funded.post("/api/v2/anything", "{}", content_type="application/json"), 404, "not_found"
    )


def test_an_unknown_path_is_json_even_without_a_key(client):
    assert_error(client.get("/api/nowhere"), 404, "not_found")


@pytest.mark.parametrize("path", PATHS)
def test_a_body_over_the_limit_is_a_json_413_on_every_endpoint(funded, customer, path):
    limit = app_settings.API_MAX_BODY_SIZE
    body = b'{"text": "' + b"a" * limit + b'"}'
    for method in ("POST", "PUT"):
        error = assert_error(
            funded.generic(method, path, body, content_type="application/json"),
            413,
            "request_too_large",
        )
        assert error["limit"] == limit
    assert credit_balance_get(organization=personal(customer)).total == 100
    assert not ServiceRun.objects.exists()


def test_a_body_over_django_s_own_limit_is_a_json_413_too(funded, settings):
    # DATA_UPLOAD_MAX_MEMORY_SIZE below the API's limit: Django refuses when the view reads.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"text": "a" * 2000})
    response = funded.post(ENDPOINTS["api_run"][0], body, content_type="application/json")
    assert_error(response, 413, "request_too_large")


def test_a_body_within_the_limit_is_served(funded):
    body = json.dumps({"text": "Fine words."})
    response = funded.post(ENDPOINTS["api_run"][0], body, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "length", ["²", "\u0661\u0662", "12a", "-1", "1e3", " 12", "0x10", "9" * 40]
)
@pytest.mark.parametrize("path", PATHS)
def test_a_malformed_content_length_is_a_json_400(funded, path, length):
    response = funded.post(path, b"{}", content_type="application/json", CONTENT_LENGTH=length)
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("name", ["text_statistics", "no_such_service"])
@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_invalid_json_for_known_and_unknown_services(
    funded, customer, name, depth
):
    for opening, closing in (("[", "]"), ('{"a":', "}")):
        body = opening * depth + "1" + closing * depth
        response = funded.post(
            f"/api/v1/services/{name}/run", body, content_type="application/json"
        )
        assert_error(response, 400, "invalid_json")
    assert credit_balance_get(organization=personal(customer)).total == 100


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1" * 400 + ".0", "1" * 5000])
def test_numbers_no_machine_can_hold_are_invalid_json(funded, customer, number):
    body = '{"text": "alpha beta", "limit": ' + number + "}"
    response = funded.post("/api/v1/services/keywords/run", body, content_type="application/json")
    assert_error(response, 400, "invalid_json")
    assert credit_balance_get(organization=personal(customer)).total == 100


# Digits Python's str.isdigit() or int() accept that are not ASCII digits, signs, spaces,
# and numbers past any id.
BAD_CURSORS = [
    "²",
    "\u0661\u0662",
    "\u0661",
    "\U0001d7cf",
    "½",
    "+1",
    "-1",
    " 1",
    "1 ",
    "1_000",
    "1.0",
    "0x1f",
    "",
    "9" * 19,
]


@pytest.mark.parametrize("before", BAD_CURSORS)
def test_usage_refuses_every_cursor_that_is_not_ascii_digits(funded, before):
    assert_error(funded.get("/api/v1/usage", {"before": before}), 400, "invalid_cursor")


def test_usage_accepts_an_ascii_cursor(funded):
    response = funded.get("/api/v1/usage", {"before": "123"})
    assert response.status_code == 200 and response.json() == {"runs": [], "next": None}


@pytest.mark.parametrize("key", ["²", "ключ", "a\tb", "k" * 256, "\x00"])
def test_an_idempotency_key_outside_printable_ascii_is_a_json_400(funded, key):
    response = funded.post(
        ENDPOINTS["api_run"][0],
        json.dumps({"text": "Fine."}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"),
    )
    assert_error(response, 400, "invalid_idempotency_key")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer \u0661\u0662\u0663\u0664." + "a" * 32,
        "Bearer abcd." + "²" * 32,
        "Bearer",
        "Basic eA==",
        "",
    ],
)
def test_an_authorization_header_outside_the_pattern_is_a_json_401(client, header):
    response = client.get(
        ENDPOINTS["api_balance"][0], HTTP_AUTHORIZATION=header.encode().decode("latin-1")
    )
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


class BuggyPricing(BaseService):
    """A real bug in a service: its price cannot be worked out for this input."""

    name = "buggy_pricing"
    cost = 1
    input_schema = {"type": "object", "properties": {}}

    def cost_for(self, data):
        return data["missing"]

    def run(self, data):
        return {}


@pytest.fixture
def buggy_service():
    registry.register(BuggyPricing)
    yield BuggyPricing
    registry._services.pop(BuggyPricing.name)


def assert_logged_with_traceback(caplog, request_id):
    records = [r for r in caplog.records if request_id in r.getMessage()]
    assert records, [r.getMessage() for r in caplog.records]
    assert any(r.levelno == logging.ERROR and r.exc_info for r in records)


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_in_a_view_is_a_json_500_with_a_request_id_that_is_logged(
    quiet_client, customer, settings, caplog, buggy_service, debug
):
    settings.DEBUG = debug
    credits_grant(organization=personal(customer), amount=5, kind="payg", idempotency_key="buggy")
    response = quiet_client.post(
        f"/api/v1/services/{buggy_service.name}/run", "{}", content_type="application/json"
    )
    error = assert_error(response, 500, "internal_error")
    assert REQUEST_ID.fullmatch(error["request_id"])
    assert response["X-Request-ID"] == error["request_id"]
    assert "KeyError" not in response.content.decode()  # nothing of the internals leaks
    assert_logged_with_traceback(caplog, error["request_id"])
    assert credit_balance_get(organization=personal(customer)).total == 5


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_in_a_test_only_api_view_is_a_json_500(quiet_client, settings, caplog, debug):
    settings.DEBUG = debug
    response = quiet_client.get("/api/v1/test-only/explode")
    error = assert_error(response, 500, "internal_error")
    assert_logged_with_traceback(caplog, error["request_id"])


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_an_exception_in_the_middleware_is_a_json_500_on_every_endpoint(
    quiet_client, settings, caplog, path, debug
):
    settings.DEBUG = debug
    with key_table_gone():
        response = quiet_client.get(path)
    error = assert_error(response, 500, "internal_error")
    assert_logged_with_traceback(caplog, error["request_id"])


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
