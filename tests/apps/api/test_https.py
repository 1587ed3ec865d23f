"""The API's plain-http refusal, in-process: which paths it covers and which it leaves alone."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

HTTPS_ON = {"SECURE_SSL_REDIRECT": True, "SECURE_REDIRECT_EXEMPT": [r"^healthz$"]}


@override_settings(**HTTPS_ON)
def test_every_api_path_and_method_is_refused_over_http():
    client = Client()
    for method, path in [
        ("get", "/api/v1/services"),
        ("post", "/api/v1/services/text_statistics/run"),
        ("put", "/api/v1/usage"),
        ("get", "/api/v1/unknown"),
        ("get", "/api/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "https_required", path


@override_settings(**HTTPS_ON)
def test_over_https_the_api_is_not_refused():
    response = Client().get("/api/v1/services", secure=True)
    assert response.status_code != 403


@override_settings(**HTTPS_ON)
def test_the_api_documentation_is_a_page_and_keeps_its_redirect():
    response = Client().get("/api/docs")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/docs"


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$", r"^api/v1/services$"]
)
def test_a_path_exempt_from_the_redirect_is_exempt_from_the_refusal():
    assert Client().get("/api/v1/services").status_code == 401  # reached the API: no key


def test_without_the_https_redirect_nothing_is_refused():
    assert Client().get("/api/v1/services").status_code == 401  # reached the API: no key
