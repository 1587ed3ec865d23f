import random
import string
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from quickscale.apps.keys.hashers import HASHER, secret_verify
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from tests.orgs import personal

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/credits/balance"


def get(client, header=None):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    return client.get(BALANCE, **extra)


def code(response):
    return response.json()["error"]["code"]


def test_a_valid_key_authenticates_as_its_user(client, token, customer):
    response = get(client, f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_the_secret_is_stored_only_as_a_hash(token):
    prefix, secret = token.split(".")
    key = ApiKey.objects.get(prefix=prefix)
    assert secret not in key.hashed_secret
    assert key.hashed_secret.startswith("qs_sha256$")
    assert len(prefix) == 4 and len(secret) == 32


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "missing_key"),
        ("", "missing_key"),
        ("Bearer", "malformed_key"),
        ("Basic dXNlcjpwYXNz", "malformed_key"),
        ("Bearer abc", "malformed_key"),
        ("Bearer abcd.tooshort", "malformed_key"),
        ("Token ABCD." + "a" * 32, "malformed_key"),
    ],
)
def test_missing_and_malformed_keys_get_a_json_401(client, header, expected):
    response = get(client, header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert code(response) == expected
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_wrong_keys_get_the_same_answer(client, token):
    prefix, secret = token.split(".")
    unknown = get(client, "Bearer ZZZZ." + secret)
    wrong = get(client, f"Bearer {prefix}." + ("x" * 32))
    assert unknown.status_code == wrong.status_code == 401
    assert (
        unknown.json()
        == wrong.json()
        == {"error": {"code": "invalid_key", "message": "The API key is not valid."}}
    )


def test_a_key_revoked_mid_session_stops_working_at_once(client, token):
    assert get(client, f"Bearer {token}").status_code == 200
    api_key_revoke(key=ApiKey.objects.get())
    response = get(client, f"Bearer {token}")
    assert response.status_code == 401 and code(response) == "revoked_key"


def test_an_expired_key_is_refused(client, customer):
    new = api_key_create(
        organization=personal(customer),
        user=customer,
        name="old",
        expires_at=timezone.now() + timedelta(seconds=1),
    )
    ApiKey.objects.filter(pk=new.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert code(get(client, f"Bearer {new.token}")) == "expired_key"


def test_a_deactivated_user_s_key_is_refused(client, token, customer):
    customer.is_active = False
    customer.save()
    response = get(client, f"Bearer {token}")
    assert response.status_code == 401 and code(response) == "inactive_account"


def test_revoked_is_only_told_to_the_holder_of_the_real_secret(client, token):
    prefix, _ = token.split(".")
    api_key_revoke(key=ApiKey.objects.get())
    assert code(get(client, f"Bearer {prefix}." + "y" * 32)) == "invalid_key"


def test_last_used_is_written_at_most_once_a_minute(client, token):
    key = ApiKey.objects.get()
    assert key.last_used_at is None
    get(client, f"Bearer {token}")
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    get(client, f"Bearer {token}")
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=first - timedelta(minutes=2))
    get(client, f"Bearer {token}")
    assert ApiKey.objects.get().last_used_at > first


def test_keys_hashed_by_a_slow_hasher_still_verify_and_are_upgraded(client, customer):
    secret = "S" * 32
    key = ApiKey.objects.create(
        organization=personal(customer),
        user=customer,
        name="legacy",
        prefix="LGCY",
        hashed_secret=make_password(secret),
    )
    assert key.hashed_secret.startswith("md5$") or key.hashed_secret.startswith("pbkdf2")
    assert get(client, f"Bearer LGCY.{secret}").status_code == 200
    key.refresh_from_db()
    assert key.hashed_secret.startswith("qs_sha256$")
    assert secret_verify(secret, key.hashed_secret) == (True, False)


def test_the_fast_hasher_compares_in_constant_time_and_rejects_near_misses():
    encoded = HASHER.encode("A" * 32, "salt")
    assert HASHER.verify("A" * 32, encoded)
    assert not HASHER.verify("A" * 31 + "B", encoded)


def test_a_thousand_random_malformed_headers_never_cause_a_500(client, token, settings):
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = "100000/m"  # the answers, not the limit
    rng = random.Random(1234)
    alphabet = string.printable + "é€\u200b\u0000" + "."
    prefix = token.split(".")[0]
    seeds = [
        "Bearer ",
        "bearer ",
        "Bearer  ",
        "",
        "Basic ",
        f"Bearer {prefix}.",
        f"Bearer {prefix}",
    ]
    statuses = set()
    for _ in range(1000):
        noise = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        header = rng.choice(seeds) + noise
        if header.strip() == f"Bearer {token}":
            continue
        response = get(client, header.replace("\n", "").replace("\r", ""))
        statuses.add(response.status_code)
        assert response.status_code == 401, (header, response.status_code)
        assert code(response) in {"missing_key", "malformed_key", "invalid_key"}
    assert statuses == {401}


def test_the_secret_never_appears_in_an_error(client, token):
    prefix, secret = token.split(".")
    api_key_revoke(key=ApiKey.objects.get())
    for header in (f"Bearer {token}", f"Bearer {prefix}.{secret[::-1]}", f"Bearer {secret}"):
        assert secret not in get(client, header).content.decode()
        assert secret[::-1] not in get(client, header).content.decode()


def test_pages_outside_the_api_ignore_the_header(client):
    response = client.get(reverse("home"), HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 200
