"""The OpenAPI document: valid OpenAPI 3.1, and true to what the API really answers.

Schemathesis fuzzes every documented operation against the real Django app, in process
through its WSGI handler, with a real key of a user who has credits. Every response must be
documented (status, content type, body schema); none may be a 500.
"""

import json
import os
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis.config import SchemathesisConfig

from quickscale.apps.api.openapi import openapi_document
from quickscale.apps.credits.models import MAX_CREDITS
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.conf import app_settings
from tests.apps.api.helpers import key_table_gone
from tests.orgs import personal

GRANT = 1_000_000  # more than any fuzzing run spends: a valid request is never refused for money
# Fixed seeds (derandomize) and a bounded number of examples: the same requests on every run,
# about 1,500 of them (QUICKSCALE_FUZZ_SCALE=10 for ten times as many).
SCALE = int(os.environ.get("QUICKSCALE_FUZZ_SCALE", "1"))
FUZZ = hypothesis_settings(
    max_examples=200 * SCALE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            # The key is the test's to send; generated and stripped Authorization headers would
            # make valid requests look invalid. The ignored_auth check still probes without it.
            "with-security-parameters": False,
            # HTTP APIs ignore query parameters they do not know, like this one does.
            "allow-extra-parameters": False,
        },
        "checks": {
            # A valid request may still be refused for money, scope, a busy Idempotency-Key or
            # the rate limit; never with a 400 and never with a 5xx.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "402", "403", "404", "409", "429"]
            },
        },
    }
)
# The document as /api/v1/openapi.json serves it when no service is switched off (the served one
# leaves those out, and reading which are needs the database, not available at collection).
schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"), config=CONFIG)
schema.app = get_wsgi_application()
schema.location = "/api/v1/openapi.json"


@pytest.fixture
def wsgi_in_test_transaction(db, settings):
    """Serve requests through Django's WSGI handler inside the test's transaction, as Django's
    test client does: the handler would otherwise close the connection after each request."""
    settings.QUICKSCALE_API_RATE_LIMIT = "1000000/m"
    # The fuzzer sends wrong keys on purpose; the limit on them is tested in test_middleware.
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = "1000000/m"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def funded(wsgi_in_test_transaction, customer, token):
    credits_grant(
        organization=personal(customer), amount=GRANT, kind="payg", idempotency_key="fuzz"
    )
    return token


def test_the_served_document_is_valid_openapi_3_1(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://testserver"}]
    runs = {path for path in document["paths"] if path.endswith("/run")}
    assert runs == {f"/api/v1/services/{service.name}/run" for service in registry}


def test_the_fuzzed_schema_covers_every_documented_operation():
    labels = {operation.ok().label for operation in schema.get_all_operations()}
    assert {
        "GET /api/v1/credits/balance",
        "GET /api/v1/services",
        "GET /api/v1/usage",
        *(f"POST /api/v1/services/{service.name}/run" for service in registry),
    } == labels


@pytest.mark.fuzz
@schema.parametrize()
@FUZZ
def test_every_response_is_documented_and_no_call_charges_twice(case, funded, customer):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {funded}"})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == ["application/json"]
    runs = ServiceRun.objects.filter(user=customer)
    assert not runs.filter(status=RunStatus.RUNNING).exists()
    spent = runs.filter(status=RunStatus.SUCCEEDED).aggregate(total=Sum("cost"))["total"] or 0
    balance = credit_balance_get(organization=personal(customer)).total
    assert (
        balance
        == credit_book_balance(organization=personal(customer))
        == ledger_sum(organization=personal(customer))
    )
    assert balance == GRANT - spent


@pytest.mark.fuzz
@schema.include(method="POST").parametrize()
@hypothesis_settings(FUZZ, max_examples=60 * SCALE)
def test_without_credits_every_valid_run_is_a_documented_402(
    case, wsgi_in_test_transaction, customer, token
):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == ["application/json"]
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code == 402, response.text
        error = response.json()["error"]
        assert error["code"] == "insufficient_credits" and error["balance"] == 0
    assert not ServiceRun.objects.filter(user=customer).exists()


# Every error code the API answers, provoked once: (operation path, how to provoke it).
TEXT = {"text": "Fine words."}
RUN = "/api/v1/services/text_statistics/run"
BALANCE = "/api/v1/credits/balance"


class Exploding(BaseService):
    name = "exploding_for_docs"
    description = "Always fails."
    cost = 1
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        raise RuntimeError("model unavailable")


class Sleepy(BaseService):
    name = "sleepy_for_docs"
    description = "Takes longer than its time limit."
    cost = 1
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        time.sleep(0.05)
        return {}


def post(client, path=RUN, data=TEXT, **headers):
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(path, body, content_type="application/json", **headers)


def bearer(token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _revoked(c):
    api_key_revoke(key=c.key)
    return bearer(c.token).get(BALANCE)


def _expired(c):
    c.key.__class__.objects.filter(pk=c.key.pk).update(expires_at=timezone.now())
    return bearer(c.token).get(BALANCE)


def _inactive(c):
    c.user.__class__.objects.filter(pk=c.user.pk).update(is_active=False)
    return bearer(c.token).get(BALANCE)


def _forbidden(c):
    scoped = api_key_create(
        organization=personal(c.user), user=c.user, name="scoped", scopes=["sentiment"]
    ).token
    return post(bearer(scoped))


def _csrf(c):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(c.user)
    return post(browser)


def _conflict(c):
    post(c.api, HTTP_IDEMPOTENCY_KEY="k")
    return post(c.api, data={"text": "Other words."}, HTTP_IDEMPOTENCY_KEY="k")


def _in_progress(c):
    post(c.api, HTTP_IDEMPOTENCY_KEY="k")
    ServiceRun.objects.update(status=RunStatus.RUNNING)  # as if the first were still running
    return post(c.api, HTTP_IDEMPOTENCY_KEY="k")


def _rate_limited(c):
    c.settings.QUICKSCALE_API_RATE_LIMIT = "1/m"
    c.api.get(BALANCE)
    return c.api.get(BALANCE)


def _too_many_failures(c):
    c.settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = "1/m"
    bearer("AAAA." + "B" * 32).get(BALANCE)
    return bearer("AAAA." + "B" * 32).get(BALANCE)


def _failed(c):
    registry.register(Exploding)
    try:
        return post(c.api, f"/api/v1/services/{Exploding.name}/run", {})
    finally:
        registry._services.pop(Exploding.name)


def _deadline(c):
    c.settings.QUICKSCALE_SERVICE_TIMEOUT = 0.01
    registry.register(Sleepy)
    try:
        return post(c.api, f"/api/v1/services/{Sleepy.name}/run", {})
    finally:
        registry._services.pop(Sleepy.name)


class Priceless(BaseService):
    name = "priceless_for_docs"
    description = "Priced by the input."
    cost = 1
    input_schema = {"type": "object", "properties": {"units": {"type": "integer"}}}

    def cost_for(self, data):
        return data.get("units", 1)

    def run(self, data):
        return {}


def _cost_too_large(c):
    registry.register(Priceless)
    try:
        return post(c.api, f"/api/v1/services/{Priceless.name}/run", {"units": MAX_CREDITS + 1})
    finally:
        registry._services.pop(Priceless.name)


def _too_large(c):
    return post(c.api, data="x" * (app_settings.API_MAX_BODY_SIZE + 1))


def _forbidden_elsewhere(c):
    c.settings.ROOT_URLCONF = "tests.apps.api.urls"
    return c.api.get("/api/v1/test-only/forbidden")


def _internal_error(c):
    with key_table_gone():
        return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {c.token}").get(
            BALANCE
        )


# Codes answered for any path under the API, not by one operation: which one is not documented
# per operation (a wrong method, an unknown path, a malformed request).
ANY_PATH = None
SCENARIOS = {
    "bad_request": (ANY_PATH, lambda c: post(c.api, CONTENT_LENGTH="²")),
    "forbidden": (ANY_PATH, _forbidden_elsewhere),
    "not_found": (ANY_PATH, lambda c: c.api.get("/api/v1/nowhere")),
    "request_too_large": (RUN, _too_large),
    "internal_error": (BALANCE, _internal_error),
    "invalid_json": (RUN, lambda c: post(c.api, data="{nope")),
    "invalid_input": (RUN, lambda c: post(c.api, data={"text": 5})),
    "invalid_idempotency_key": (RUN, lambda c: post(c.api, HTTP_IDEMPOTENCY_KEY="k" * 256)),
    "invalid_cursor": ("/api/v1/usage", lambda c: c.api.get("/api/v1/usage?before=x")),
    "cost_too_large": (RUN, _cost_too_large),
    "missing_key": (BALANCE, lambda c: Client().get(BALANCE)),
    "malformed_key": (BALANCE, lambda c: bearer("nope").get(BALANCE)),
    "invalid_key": (BALANCE, lambda c: bearer("AAAA." + "B" * 32).get(BALANCE)),
    "revoked_key": (BALANCE, _revoked),
    "expired_key": (BALANCE, _expired),
    "inactive_account": (BALANCE, _inactive),
    "insufficient_credits": (RUN, lambda c: post(bearer(c.broke))),
    "forbidden_scope": (RUN, _forbidden),
    "csrf_failed": (RUN, _csrf),
    "service_not_found": (RUN, lambda c: post(c.api, "/api/v1/services/nope/run")),
    "method_not_allowed": (ANY_PATH, lambda c: c.api.delete(BALANCE)),
    "idempotency_conflict": (RUN, _conflict),
    "request_in_progress": (RUN, _in_progress),
    "rate_limited": (BALANCE, _rate_limited),
    "too_many_failed_authentications": (BALANCE, _too_many_failures),
    "service_failed": (RUN, _failed),
    "deadline_exceeded": (RUN, _deadline),
}


class Caller:
    def __init__(self, user, key, token, settings):
        self.user, self.key, self.token, self.settings = user, key, token, settings
        self.api = bearer(token)
        broke = type(user).objects.create_user(email="broke@example.com")
        self.broke = api_key_create(organization=personal(broke), user=broke, name="empty").token


@pytest.fixture
def caller(db, customer, settings):
    credits_grant(organization=personal(customer), amount=100, kind="payg", idempotency_key="docs")
    created = api_key_create(organization=personal(customer), user=customer, name="docs")
    return Caller(customer, created.key, created.token, settings)


@pytest.fixture(scope="module")
def document():
    return openapi_document("http://testserver")


def test_every_documented_error_code_has_a_scenario_here(document):
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    documented = {choice["const"] for choice in error["properties"]["code"]["oneOf"]}
    assert documented == set(SCENARIOS)


@pytest.mark.parametrize("code", SCENARIOS)
def test_each_error_code_is_answered_with_its_documented_status_and_shape(code, caller, document):
    path, provoke = SCENARIOS[code]
    response = provoke(caller)
    error_schema = document["components"]["schemas"]["Error"]
    Draft202012Validator(error_schema).validate(response.json())
    assert response.json()["error"]["code"] == code
    choices = error_schema["properties"]["error"]["properties"]["code"]["oneOf"]
    status = next(choice["x-status"] for choice in choices if choice["const"] == code)
    assert response.status_code == status
    if path is not ANY_PATH:
        (operation,) = document["paths"][path].values()
        assert str(status) in operation["responses"]


@pytest.mark.django_db
def test_an_integral_number_is_an_integer_as_json_schema_says(api, customer):
    credits_grant(organization=personal(customer), amount=10, kind="payg", idempotency_key="ints")
    body = '{"text": "alpha beta alpha", "limit": 1.0}'
    response = api.post("/api/v1/services/keywords/run", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["result"]["keywords"] == [{"word": "alpha", "count": 2}]


@pytest.mark.django_db
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_number_constants_outside_json_are_invalid_json(api, customer, constant):
    credits_grant(organization=personal(customer), amount=10, kind="payg", idempotency_key="nan")
    body = '{"text": "alpha", "limit": ' + constant + "}"
    response = api.post("/api/v1/services/keywords/run", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    assert credit_balance_get(organization=personal(customer)).total == 10
