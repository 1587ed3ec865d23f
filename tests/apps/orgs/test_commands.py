"""The commands name an organization by --org SLUG; --user EMAIL alone keeps meaning that
user's personal organization, so scripts written before organizations keep working."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from quickscale.apps.credits.models import LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.models import ApiKey
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def acme():
    owner = get_user_model().objects.create_user(email="owner@example.com")
    dev = get_user_model().objects.create_user(email="dev@example.com")
    return team(owner, "Acme", member=[dev]), owner, dev


def test_credits_go_to_the_named_organization_or_the_user_s_personal_one(acme):
    organization, owner, _ = acme
    out, _ = run(
        "quickscale_credits",
        "grant",
        "--org",
        organization.slug,
        "--amount",
        "40",
        "--kind",
        "payg",
    )
    assert f"to Acme ({organization.slug})" in out
    run("quickscale_credits", "grant", "--user", owner.email, "--amount", "5", "--kind", "promo")
    run("quickscale_credits", "consume", "--org", organization.slug, "--amount", "15")
    assert credit_balance_get(organization=organization).total == 25
    assert credit_balance_get(organization=personal(owner)).total == 5
    out, _ = run("quickscale_credits", "balance", "--org", organization.slug, "--json")
    assert json.loads(out)["total"] == 25
    out, _ = run("quickscale_credits", "ledger", "--org", organization.slug, "--format", "json")
    assert [row["amount"] for row in json.loads(out)] == [40, -15]


def test_an_unknown_slug_or_both_owners_at_once_is_refused_and_changes_nothing(acme):
    organization, owner, _ = acme
    with pytest.raises(CommandError, match="No organization has the slug 'nope'"):
        run("quickscale_credits", "grant", "--org", "nope", "--amount", "1", "--kind", "payg")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run(
            "quickscale_credits",
            "grant",
            "--org",
            organization.slug,
            "--user",
            owner.email,
            "--amount",
            "1",
            "--kind",
            "payg",
        )
    assert not LedgerEntry.objects.exists()


def test_a_key_for_a_team_is_made_by_a_member_and_spends_the_team_s_credits(acme):
    organization, _, dev = acme
    out, err = run(
        "quickscale_api_keys",
        "create",
        "--org",
        organization.slug,
        "--user",
        dev.email,
        "--name",
        "ci",
    )
    key = api_key_authenticate(f"Bearer {out.strip()}")
    assert isinstance(key, ApiKey)
    assert (key.organization_id, key.user_id) == (organization.pk, dev.pk)
    assert organization.slug in err
    listed, _ = run("quickscale_api_keys", "list", "--org", organization.slug, "--json")
    assert [(row["organization"], row["user"]) for row in json.loads(listed)] == [
        (organization.slug, dev.email)
    ]


def test_without_org_a_key_belongs_to_the_user_s_personal_organization(acme):
    _, _, dev = acme
    out, _ = run("quickscale_api_keys", "create", "--user", dev.email, "--name", "own")
    assert api_key_authenticate(f"Bearer {out.strip()}").organization_id == personal(dev).pk


def test_a_key_is_not_made_for_someone_outside_the_organization(acme):
    organization, _, _ = acme
    outsider = get_user_model().objects.create_user(email="out@example.com")
    with pytest.raises(CommandError, match="is not a member of"):
        run(
            "quickscale_api_keys",
            "create",
            "--org",
            organization.slug,
            "--user",
            outsider.email,
            "--name",
            "x",
        )
    assert not ApiKey.objects.exists()
