import pytest
from django.test import override_settings
from django.urls import reverse

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: the connection is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_and_cache_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database:default": "ok", "cache": "ok"}
    # What this process went without since it started: counts, whatever they are by now.
    assert set(body["degraded"]) == {"cache_errors", "rate_limits_not_enforced"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_and_names_the_failing_part_when_the_cache_is_down(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        from django.core.cache import caches

        caches._settings = None
        try:
            response = client.get(reverse("healthz"))
        finally:
            caches._settings = None
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"] == "error"
    assert body["checks"]["database:default"] == "ok"


@pytest.mark.django_db
def test_healthz_refuses_writes(client):
    assert client.post(reverse("healthz")).status_code == 405
