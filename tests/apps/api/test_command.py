import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from tests.orgs import personal

pytestmark = pytest.mark.django_db


def keys(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("quickscale_api_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    return list(ApiKey.objects.order_by("id").values_list("prefix", "revoked_at"))


def test_create_prints_only_the_token_and_it_works(customer):
    out, err = keys(
        "create",
        "--user",
        "Dev@Example.com",
        "--name",
        "ci",
        "--expires-at",
        "2099-01-31T00:00:00Z",
        "--scope",
        "sentiment",
        "--scope",
        "keywords",
    )
    token = out.strip()
    key = api_key_authenticate(f"Bearer {token}")
    assert isinstance(key, ApiKey) and key.user == customer
    assert key.scopes == ["keywords", "sentiment"]
    assert key.expires_at.year == 2099
    assert "shown only this once" in err and key.prefix in err
    assert token not in err


def test_list_shows_every_key_and_never_a_secret(customer, django_user_model):
    mine = api_key_create(organization=personal(customer), user=customer, name="laptop")
    other = django_user_model.objects.create_user(email="eve@example.com")
    theirs = api_key_revoke(
        key=api_key_create(organization=personal(other), user=other, name="server").key
    )
    out, _ = keys("list")
    assert mine.key.prefix in out and theirs.prefix in out
    assert "revoked" in out and "never" in out
    assert mine.token.split(".")[1] not in out and mine.key.hashed_secret not in out

    rows = json.loads(keys("list", "--user", "dev@example.com", "--json")[0])
    assert [(r["prefix"], r["status"], r["user"]) for r in rows] == [
        (mine.key.prefix, "active", "dev@example.com")
    ]
    assert "hashed_secret" not in rows[0]


def test_revoke_by_prefix_stops_the_key(customer):
    new = api_key_create(organization=personal(customer), user=customer, name="laptop")
    out, _ = keys("revoke", "--prefix", new.key.prefix)
    assert f"Revoked the key {new.key.prefix}" in out
    assert api_key_authenticate(f"Bearer {new.token}").code == "revoked_key"
    again, _ = keys("revoke", "--prefix", new.key.prefix)
    assert "already revoked" in again


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["create", "--user", "nobody@example.com", "--name", "x"], "No user has"),
        (["create", "--user", "dev@example.com", "--name", "  "], "needs a name"),
        (
            ["create", "--user", "dev@example.com", "--name", "x", "--scope", "nope"],
            "No service is named nope",
        ),
        (
            [
                "create",
                "--user",
                "dev@example.com",
                "--name",
                "x",
                "--expires-at",
                "2001-01-01T00:00:00Z",
            ],
            "already past",
        ),
        (["create", "--user", "dev@example.com", "--name", "x" * 101], "at most 100 characters"),
        (["revoke", "--prefix", "zzzz"], "No API key has the prefix"),
        (["list", "--user", "nobody@example.com"], "No user has"),
    ],
)
def test_bad_input_gives_a_reason_and_changes_nothing(customer, args, reason):
    api_key_create(organization=personal(customer), user=customer, name="existing")
    before = snapshot()
    with pytest.raises(CommandError, match=reason):
        keys(*args)
    assert snapshot() == before


def test_from_the_shell_bad_input_is_one_line_and_a_non_zero_exit(test_project_dir):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "quickscale_api_keys",
            "create",
            "--user",
            "a@example.com",
            "--name",
            "x",
            "--expires-at",
            "tomorrow",
        ],
        cwd=test_project_dir,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert "not an ISO 8601 date and time" in lines[-1]
    assert "Traceback" not in result.stderr
