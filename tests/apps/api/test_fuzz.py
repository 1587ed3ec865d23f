"""A fuzz of the JSON API beyond what its OpenAPI document describes (test_openapi.py fuzzes
what it does describe): any method, any path under /api/, any query, any Authorization,
Idempotency-Key, Content-Type and Content-Length, and bodies that are JSON nested deep, numbers
past any machine's, unicode, NUL characters, or not JSON at all.

Every answer must be JSON (the docs page, when it succeeds, is the one HTML answer), none a 500,
and the ledger must still add up: every balance equals its lots and its entries, no run is
left running. Hypothesis runs derandomized with a fixed budget: the same cases on every run;
QUICKSCALE_FUZZ_SCALE=10 runs ten times as many.
"""

import json
import os
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.registry import registry
from tests.orgs import personal

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

SCALE = int(os.environ.get("QUICKSCALE_FUZZ_SCALE", "1"))
FUZZ = hypothesis_settings(
    max_examples=1500 * SCALE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

ENDPOINTS = [
    "/api/v1/credits/balance",
    "/api/v1/services",
    "/api/v1/usage",
    "/api/v1/openapi.json",
    "/api/docs",
    *(f"/api/v1/services/{service.name}/run" for service in registry),
    "/api/v1/services/no_such_service/run",
]
SEGMENT = st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe=""))
PATHS = st.one_of(
    st.sampled_from(ENDPOINTS),
    st.builds(lambda path, extra: f"{path}/{extra}", st.sampled_from(ENDPOINTS), SEGMENT),
    st.builds(lambda segment: f"/api/v1/services/{segment}/run", SEGMENT),
    st.builds(lambda segment: f"/api/{segment}", SEGMENT),
)
ODD = st.sampled_from(
    ["²", "\u0661\u0662", "\U0001d7cf", "½", "+1", "-1", " 1", "1_0", "1e3", "", "\x00", "9" * 40]
)
NUMBER_TEXT = st.one_of(st.integers().map(str), ODD)
QUERY = st.dictionaries(
    st.one_of(st.just("before"), st.just("before"), st.text(max_size=5)),
    st.one_of(NUMBER_TEXT, st.text(max_size=20)),
    max_size=3,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.text(max_size=5).map(lambda s: s + "\x00"),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
SERVICE_INPUTS = st.fixed_dictionaries(
    {"text": st.one_of(st.text(max_size=200), st.text(max_size=5).map(lambda s: s * 500))},
    optional={"limit": st.one_of(st.integers(), st.floats(allow_nan=False)), "extra": SCALARS},
)


def _nested(depth, opening, closing):
    return (opening * depth + "1" + closing * depth).encode()


RAW_BODIES = st.one_of(
    st.binary(max_size=100),
    st.sampled_from(
        [
            b"",
            b"null",
            b"NaN",
            b'{"text": 1e999}',
            b'{"text": "a", "limit": -1e999}',
            b'{"text": "\\ud800"}',
            b'\xef\xbb\xbf{"text": "bom"}',
            '{"text": "\u00e9"}'.encode("utf-16"),
            b"1" * 5000,
            _nested(1000, "[", "]"),
            _nested(5000, '{"a":', "}"),
            b'{"text": "' + b"x" * 300_000 + b'"}',
        ]
    ),
)
BODIES = st.one_of(
    SERVICE_INPUTS.map(lambda value: json.dumps(value).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    RAW_BODIES,
)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)


def _mostly(draw, likely, other):
    """`likely` four times in five, so that most requests get past the first check."""
    return draw(likely) if draw(st.integers(0, 4)) else draw(other)


@st.composite
def requests(draw, token):
    headers = {}
    authorization = _mostly(draw, st.just("valid"), st.sampled_from(["none", "garbage", "half"]))
    if authorization == "valid":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    elif authorization == "garbage":
        headers["HTTP_AUTHORIZATION"] = draw(HEADER_TEXT)
    elif authorization == "half":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token[:4]}.{draw(HEADER_TEXT)}"
    if draw(st.booleans()):
        # A few keys again and again, so that retries replay and conflict.
        retried = st.sampled_from(["retry-1", "retry-2", "retry-3"])
        headers["HTTP_IDEMPOTENCY_KEY"] = _mostly(
            draw, st.one_of(st.uuids().map(str), retried), HEADER_TEXT
        )
    if draw(st.integers(0, 9)) == 0:
        # Malformed, or past the limit. (A well-formed length above the body's, but under the
        # limit, makes a real server wait for the rest; the test client raises instead.)
        headers["CONTENT_LENGTH"] = draw(st.one_of(ODD, st.integers(2**21 + 1).map(str)))
    path = _mostly(draw, st.sampled_from(ENDPOINTS), PATHS)
    runs = path.endswith("/run")
    method = _mostly(
        draw,
        st.just("POST" if runs else "GET"),
        st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    )
    content_type = _mostly(
        draw,
        st.just("application/json"),
        st.sampled_from(
            [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "",
            ]
        ),
    )
    query = draw(QUERY) if path.endswith("/usage") or not draw(st.integers(0, 4)) else {}
    body = b""
    if method not in ("GET", "HEAD"):
        inputs = SERVICE_INPUTS.map(lambda value: json.dumps(value).encode())
        body = _mostly(draw, inputs, BODIES) if runs else draw(BODIES)
    return method, path, query, body, content_type, headers


STATUSES = {}


@pytest.fixture
def customer(db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(email="fuzz@example.com")
    credits_grant(
        organization=personal(user), amount=1_000_000, kind="payg", idempotency_key="fuzz"
    )
    return user


def test_no_request_is_answered_with_html_or_a_500_and_the_ledger_adds_up(customer, settings):
    settings.QUICKSCALE_API_RATE_LIMIT = "1000000/m"
    token = api_key_create(organization=personal(customer), user=customer, name="fuzz").token
    client = Client(raise_request_exception=False)

    @given(request=requests(token))
    @FUZZ
    def fuzz(request):
        method, path, query, body, content_type, headers = request
        if query:
            path = f"{path}?{'&'.join(f'{quote(k)}={quote(v)}' for k, v in query.items())}"
        response = client.generic(method, path, body, content_type, **headers)
        STATUSES[response.status_code] = STATUSES.get(response.status_code, 0) + 1
        assert response.status_code < 500 or response.status_code == 502, response.content[:300]
        if response.status_code == 502:
            assert response.json()["error"]["code"] == "service_failed"
        html_page = path.split("?")[0] == "/api/docs" and response.status_code == 200
        if not html_page and method != "HEAD":
            assert response["Content-Type"] == "application/json", (path, response.status_code)
            assert "error" in response.json() or response.status_code < 400

    fuzz()
    print(sorted(STATUSES.items()))
    assert not ServiceRun.objects.filter(status=RunStatus.RUNNING).exists()
    balance = credit_balance_get(organization=personal(customer)).total
    assert (
        balance
        == credit_book_balance(organization=personal(customer))
        == ledger_sum(organization=personal(customer))
    )
    spent = sum(
        ServiceRun.objects.filter(status=RunStatus.SUCCEEDED).values_list("cost", flat=True)
    )
    assert balance == 1_000_000 - spent
