import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from tests.orgs import personal

pytestmark = pytest.mark.django_db

TEXT = {"text": "QuickScale is great. It is fast!"}


def fund(user, amount=10):
    credits_grant(
        organization=personal(user), amount=amount, kind="payg", idempotency_key=f"fund-{amount}"
    )


def run(client, name="text_statistics", data=TEXT, **headers):
    return client.post(
        f"/api/v1/services/{name}/run", json.dumps(data), content_type="application/json", **headers
    )


def test_running_a_service_debits_its_cost_and_returns_the_result(api, customer):
    fund(customer)
    response = run(api)
    assert response.status_code == 200
    body = response.json()
    assert body["result"]["words"] == 6 and body["cost"] == 1 and body["balance"] == 9
    entry = ServiceRun.objects.get().debit
    assert entry.amount == -1 and entry.api_key.prefix == ServiceRun.objects.get().api_key.prefix


def test_too_few_credits_is_402_with_the_balance_and_the_cost(api, customer):
    fund(customer, 1)
    response = run(api, "keywords", {"text": "x" * 3500})
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["balance"], error["cost"]) == ("insufficient_credits", 1, 4)
    assert error["buy_url"] == "http://testserver/pricing/"
    assert error["buy_url"] in error["message"]
    assert not ServiceRun.objects.exists()


def test_bad_input_is_400_with_field_details_and_costs_nothing(api, customer):
    fund(customer)
    response = run(api, data={"text": 5, "extra": True})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields == {"text": ["must be of type string"], "extra": ["unknown field"]}
    bad_json = api.post(
        "/api/v1/services/text_statistics/run", "{nope", content_type="application/json"
    )
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert credit_balance_get(organization=personal(customer)).total == 10


def test_unknown_and_switched_off_services_are_404(api, customer):
    fund(customer)
    assert run(api, "nope").status_code == 404
    ServiceConfig.objects.create(name="sentiment", enabled=False)
    assert run(api, "sentiment").status_code == 404
    names = [s["name"] for s in api.get("/api/v1/services").json()["services"]]
    assert "sentiment" not in names and "text_statistics" in names
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/services/sentiment/run" not in paths
    assert "/api/v1/services/text_statistics/run" in paths
    page = api.get("/api/docs").content.decode()
    assert "/api/v1/services/sentiment/run" not in page
    assert "/api/v1/services/text_statistics/run" in page


def test_a_key_s_scopes_limit_the_services_it_may_run(client, customer):
    fund(customer)
    scoped = api_key_create(
        organization=personal(customer), user=customer, name="ci", scopes=["sentiment"]
    ).token
    response = run(client, HTTP_AUTHORIZATION=f"Bearer {scoped}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden_scope"
    assert run(client, "sentiment", HTTP_AUTHORIZATION=f"Bearer {scoped}").status_code == 200


def test_an_idempotency_key_runs_and_charges_once(api, customer):
    fund(customer)
    first = run(api, HTTP_IDEMPOTENCY_KEY="req-1")
    again = run(api, HTTP_IDEMPOTENCY_KEY="req-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["run"] == again.json()["run"]
    assert credit_balance_get(organization=personal(customer)).total == 9
    other = run(api, data={"text": "different"}, HTTP_IDEMPOTENCY_KEY="req-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize("bad", ["", "k" * 256, "nul\x00byte", "tab\tkey", "caf\u00e9"])
def test_an_idempotency_key_must_be_1_to_255_printable_ascii_characters(api, customer, bad):
    fund(customer)
    response = run(api, HTTP_IDEMPOTENCY_KEY=bad)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert (
        not ServiceRun.objects.exists()
        and credit_balance_get(organization=personal(customer)).total == 10
    )
    assert run(api, HTTP_IDEMPOTENCY_KEY="k" * 255).status_code == 200


class Exploding(BaseService):
    name = "exploding"
    description = "Always fails."
    cost = 3
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        raise RuntimeError("model unavailable")


@pytest.fixture
def exploding():
    registry.register(Exploding)
    yield
    registry._services.pop("exploding")


class Odd(BaseService):
    name = "odd_result"
    description = "Returns what it is told to."
    cost = 2
    input_schema = {"type": "object", "properties": {"kind": {"type": "string"}}}

    def run(self, data):
        if data["kind"] == "nul":
            return {"text": "before\x00after"}  # PostgreSQL's jsonb refuses NUL characters
        return {"tags": {"a", "b"}}  # a set is not JSON


@pytest.fixture
def odd():
    registry.register(Odd)
    yield
    registry._services.pop("odd_result")


@pytest.mark.parametrize("kind", ["nul", "set"])
def test_a_result_the_database_cannot_store_is_a_refunded_failure_not_a_stuck_run(
    api, customer, odd, kind
):
    fund(customer)
    response = run(api, "odd_result", {"kind": kind})
    outcome = ServiceRun.objects.get()
    assert outcome.status != "running"
    if outcome.status == "failed":
        assert response.status_code == 502 and outcome.refund is not None
        assert credit_balance_get(organization=personal(customer)).total == 10
    else:  # SQLite stores the NUL character
        assert kind == "nul" and connection.vendor == "sqlite"
        assert (
            response.status_code == 200
            and credit_balance_get(organization=personal(customer)).total == 8
        )


def test_a_failing_service_refunds_its_debit(api, customer, exploding):
    fund(customer)
    response = run(api, "exploding", {})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "service_failed"
    assert credit_balance_get(organization=personal(customer)).total == 10
    outcome = ServiceRun.objects.get()
    assert outcome.status == "failed" and outcome.refund.amount == 3


def test_usage_lists_runs_newest_first_with_a_cursor(api, customer):
    fund(customer, 100)
    for _ in range(3):
        run(api)
    body = api.get("/api/v1/usage").json()
    assert [r["service"] for r in body["runs"]] == ["text_statistics"] * 3
    assert body["next"] is None
    assert api.get("/api/v1/usage?before=abc").status_code == 400


def test_the_rate_limit_answers_429_with_retry_after(api, customer):
    with override_settings(QUICKSCALE_API_RATE_LIMIT="3/m"):
        statuses = [api.get("/api/v1/credits/balance").status_code for _ in range(4)]
        limited = api.get("/api/v1/credits/balance")
    assert statuses == [200, 200, 200, 429]
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


def test_a_signed_in_browser_may_call_the_api_but_keeps_csrf_protection(customer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)
    fund(customer)
    assert browser.get("/api/v1/credits/balance").status_code == 200
    refused = run(browser)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    browser.get(reverse("account_overview"))
    token = browser.cookies["csrftoken"].value
    assert run(browser, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_wrong_methods_are_405_in_json(api):
    response = api.post("/api/v1/credits/balance")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


def test_expired_lots_are_not_spent_through_the_api(api, customer):
    from django.utils import timezone

    credits_grant(
        organization=personal(customer),
        amount=5,
        kind="promo",
        expires_at=timezone.now() + timedelta(seconds=30),
        idempotency_key="soon",
    )
    assert run(api).status_code == 200
