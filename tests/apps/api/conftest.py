import secrets

import pytest
import redis
from django.test import override_settings

from tests.orgs import personal

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def customer(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email="dev@example.com")


@pytest.fixture
def token(customer):
    from quickscale.apps.keys.services import api_key_create

    return api_key_create(organization=personal(customer), user=customer, name="laptop").token


@pytest.fixture
def api(client, token):
    """A test client that sends the key with every request."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def redis_cache():
    """The project's cache on the real Redis, under a prefix of its own; removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    prefix = f"qs-test-{secrets.token_hex(4)}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=caches):
        yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
