"""Failed API-key authentications are limited per real client, behind a proxy or not."""

import secrets

import pytest

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/credits/balance"
PROXY = "10.0.0.2"
CLIENT_A = "203.0.113.10"
CLIENT_B = "198.51.100.20"
LIMIT = 5
WRONG = "Bearer ZZZZ." + "x" * 32


def call(client, header, *, remote=PROXY, xff=None):
    extra = {"REMOTE_ADDR": remote, "HTTP_AUTHORIZATION": header}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return client.get(BALANCE, **extra)


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = f"{LIMIT}/m"


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_failures_past_the_limit_get_a_json_429_with_retry_after(client, behind_one_proxy):
    statuses = [call(client, WRONG, xff=CLIENT_A).status_code for _ in range(LIMIT)]
    assert statuses == [401] * LIMIT
    response = call(client, WRONG, xff=CLIENT_A)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "too_many_failed_authentications"
    assert 1 <= error["retry_after"] <= 60
    assert response["Retry-After"] == str(error["retry_after"])
    assert "retry" in error["message"].lower()


def test_a_blocked_client_is_refused_even_with_a_right_key(client, token, behind_one_proxy):
    for _ in range(LIMIT + 1):
        call(client, WRONG, xff=CLIENT_A)
    # Answering 200 now would tell a guesser which guess was right.
    assert call(client, f"Bearer {token}", xff=CLIENT_A).status_code == 429


def test_behind_a_proxy_one_client_s_failures_do_not_lock_out_another(
    client, token, behind_one_proxy
):
    for _ in range(LIMIT + 3):
        call(client, WRONG, xff=f"1.1.1.{secrets.randbelow(250)}, {CLIENT_A}")
    assert call(client, WRONG, xff=CLIENT_A).status_code == 429
    # Client B reaches Django through the same proxy, so from the same REMOTE_ADDR.
    assert call(client, f"Bearer {token}", xff=CLIENT_B).status_code == 200
    assert call(client, WRONG, xff=CLIENT_B).status_code == 401


def test_with_no_trusted_proxy_a_forged_x_forwarded_for_is_ignored(client, token, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for index in range(LIMIT):
        assert call(client, WRONG, remote=CLIENT_A, xff=f"192.0.2.{index}").status_code == 401
    assert call(client, WRONG, remote=CLIENT_A, xff="192.0.2.100").status_code == 429
    refused = call(client, f"Bearer {token}", remote=CLIENT_A, xff="192.0.2.200")
    assert refused.status_code == 429
    assert call(client, f"Bearer {token}", remote=CLIENT_B, xff=CLIENT_A).status_code == 200


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer abcd.short", WRONG, "Bearer " + "A" * 37]
)
def test_every_kind_of_failed_authentication_counts(client, header, behind_one_proxy):
    for _ in range(LIMIT):
        assert call(client, header, xff=CLIENT_A).status_code == 401
    assert call(client, header, xff=CLIENT_A).status_code == 429


def test_revoked_keys_count_as_failures_too(client, token, behind_one_proxy):
    from quickscale.apps.keys.models import ApiKey
    from quickscale.apps.keys.services import api_key_revoke

    api_key_revoke(key=ApiKey.objects.get())
    codes = [call(client, f"Bearer {token}", xff=CLIENT_A).status_code for _ in range(LIMIT + 1)]
    assert codes == [401] * LIMIT + [429]


def test_successful_authentications_do_not_count(client, token, behind_one_proxy, settings):
    settings.QUICKSCALE_API_RATE_LIMIT = "1000/m"
    for _ in range(3 * LIMIT):
        assert call(client, f"Bearer {token}", xff=CLIENT_A).status_code == 200
    assert call(client, WRONG, xff=CLIENT_A).status_code == 401


def test_requests_without_a_key_are_not_counted(client, behind_one_proxy):
    for _ in range(LIMIT + 2):
        response = client.get(BALANCE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_A)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "missing_key"


def test_on_redis_the_block_lives_in_redis_and_ends_with_its_window(
    client, token, behind_one_proxy, redis_cache
):
    connection, prefix = redis_cache
    for _ in range(LIMIT + 1):
        call(client, WRONG, xff=CLIENT_A)
    assert call(client, f"Bearer {token}", xff=CLIENT_A).status_code == 429
    keys = list(connection.scan_iter(f"{prefix}:*"))
    assert keys and all(0 < connection.ttl(key) <= 61 for key in keys)
    assert call(client, f"Bearer {token}", xff=CLIENT_B).status_code == 200
