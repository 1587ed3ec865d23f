import json
import shlex
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from quickscale.apps.api.docs import api_docs_from, example_input
from quickscale.apps.api.openapi import ERROR_CODES, openapi_document
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import registry
from tests.orgs import personal

pytestmark = pytest.mark.django_db

URL = "/api/docs"


class Page(HTMLParser):
    """What a reader (or a screen reader) gets from the page."""

    def __init__(self, html):
        super().__init__()
        self.headings, self.links, self.assets, self.tables, self.captions = [], [], [], 0, 0
        self.pre_focusable, self.pre, self._heading = [], [], None
        self._in_pre = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._heading = [tag, ""]
        if tag == "a":
            self.links.append(attrs.get("href", ""))
        if tag in ("script", "img") and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "pre":
            self.pre_focusable.append(
                attrs.get("tabindex") == "0" and bool(attrs.get("aria-label"))
            )
            self.pre.append("")
            self._in_pre = True

    def handle_endtag(self, tag):
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, " ".join(self._heading[1].split())))
            self._heading = None
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data):
        if self._heading:
            self._heading[1] += data
        if self._in_pre:
            self.pre[-1] += data


class Translate(BaseService):
    name = "translate_for_docs"
    description = "Translates text."
    cost = 7
    input_schema = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5000},
            "target": {"type": "string", "enum": ["fr", "de"]},
            "formal": {"type": "boolean"},
            "level": {"type": "integer", "minimum": 2, "maximum": 5},
        },
        "required": ["text", "target", "level"],
    }

    def run(self, data):
        return {"text": data["text"]}


@pytest.fixture
def translate():
    registry.register(Translate)
    yield
    registry._services.pop(Translate.name)


def curl_request(curl, token):
    """The method, URL, headers and body of a curl example, as a shell would pass them."""
    words = shlex.split(curl.replace("\\\n", " ").replace("$API_KEY", token))
    assert words[:2] == ["curl", "-X"]
    method, url, rest = words[2], words[3], words[4:]
    headers, body = {}, None
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        if flag == "-H":
            name, _, header = value.partition(": ")
            headers[name] = header
        else:
            assert flag == "-d"
            body = value
    return method, url, headers, body


def test_the_page_is_public_and_reverses_by_name(client):
    assert reverse("api_docs") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_the_page_lists_every_endpoint_of_the_openapi_document(client):
    page = Page(client.get(URL).content.decode())
    headings = {text for tag, text in page.headings if tag == "h3"}
    document = openapi_document("http://testserver")
    for path, item in document["paths"].items():
        for method in item:
            if path.endswith("/run"):
                name = path.split("/")[-2]
                assert name in headings
            else:
                assert f"{method.upper()} {path}" in headings
    assert "POST /api/v1/services/{name}/run" in headings


def test_each_service_shows_its_cost_and_input_rules(client, translate):
    html = client.get(URL).content.decode()
    docs = api_docs_from(openapi_document("http://testserver"))
    service = next(s for s in docs.services if s.name == Translate.name)
    assert (service.cost, service.cost_varies) == (7, False)
    assert [(f.name, f.required, f.rules) for f in service.fields] == [
        ("text", True, "1 to 5,000 characters"),
        ("target", True, "one of fr, de"),
        ("formal", False, ""),
        ("level", True, "2 to 5"),
    ]
    assert 'data-testid="cost-translate_for_docs">7 credits<' in html
    assert "one of fr, de" in html and "1 to 5,000 characters" in html


def test_a_price_that_depends_on_the_input_says_so(client):
    html = client.get(URL).content.decode()
    assert 'data-testid="cost-keywords">from 2 credits<' in html
    assert 'data-testid="cost-sentiment">1 credit<' in html


def test_every_curl_example_on_the_page_works_as_shown(client, customer, token):
    credits_grant(organization=personal(customer), amount=100, kind="payg", idempotency_key="docs")
    page = Page(client.get(URL).content.decode())
    examples = [text for text in page.pre if "curl" in text]
    services = [service.name for service in registry]
    assert len(examples) == 1 + len(services)  # the balance, then one per service
    for example in examples:
        curl = example[example.index("curl") :]
        method, url, headers, body = curl_request(curl, token)
        assert url.startswith("http://testserver/api/v1/")
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        content_type = extra.pop("HTTP_CONTENT_TYPE", None)
        path = url.removeprefix("http://testserver")
        if method == "GET":
            response = client.get(path, **extra)
        else:
            response = client.post(path, body, content_type=content_type, **extra)
        assert response.status_code == 200, (curl, response.content)
    spent = sum(
        registry.get(name).cost_for(example_input(registry.get(name).input_schema))
        for name in services
    )
    assert credit_balance_get(organization=personal(customer)).total == 100 - spent


def test_the_error_table_gives_every_code_with_its_status(client):
    docs = api_docs_from(openapi_document("http://testserver"))
    assert {(e.code, e.status) for e in docs.errors} == {
        (code, status) for code, (status, _) in ERROR_CODES.items()
    }
    assert [e.status for e in docs.errors] == sorted(e.status for e in docs.errors)
    html = client.get(URL).content.decode()
    for code in ERROR_CODES:
        assert f"<code>{code}</code>" in html


def test_a_signed_in_user_is_sent_to_their_keys_and_a_visitor_to_sign_up(client, customer):
    visitor = Page(client.get(URL).content.decode())
    assert reverse("account_signup") in visitor.links
    client.force_login(customer)
    member = Page(client.get(URL).content.decode())
    assert reverse("account_api_keys") in member.links
    assert reverse("account_signup") not in member.links


def test_the_page_is_accessible_and_loads_nothing_from_other_hosts(client):
    page = Page(client.get(URL).content.decode())
    assert [tag for tag, _ in page.headings].count("h1") == 1
    assert page.headings[0] == ("h1", "API documentation")
    assert page.tables and page.captions == page.tables
    assert page.pre_focusable and all(page.pre_focusable)  # scrollable code is reachable by key
    assert page.assets and all(asset.startswith("/") for asset in page.assets)


def test_a_key_is_not_needed_and_the_examples_never_show_a_real_secret(client, token):
    response = client.get(URL)
    assert response.status_code == 200
    assert token.split(".")[1] not in response.content.decode()
    assert "$API_KEY" in response.content.decode()


def test_example_input_fits_the_schema_it_was_made_from():
    for service in [*registry, Translate()]:
        data = example_input(service.input_schema)
        assert service.validate(data) == {}, service.name
        assert json.loads(json.dumps(data)) == data


class Shouting(BaseService):
    name = "shouting_for_docs"
    description = "Upper-cases `text`. <script>alert(1)</script> Unpaired ` stays."
    cost = 1
    input_schema = {"type": "object", "properties": {}}

    def run(self, data):
        return {}


def test_descriptions_show_code_and_never_run_markup(client):
    registry.register(Shouting)
    try:
        html = client.get(URL).content.decode()
    finally:
        registry._services.pop(Shouting.name)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "The <code>next</code> value of the previous page." in html
