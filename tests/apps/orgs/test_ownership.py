"""Credits, keys and runs belong to an organization: a key spends its organization's credits,
the API and the pages answer for one organization, and personal and team balances never mix."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from quickscale.apps.credits.models import LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.current import SESSION_KEY
from quickscale.apps.orgs.models import Membership
from quickscale.apps.orgs.services import membership_remove
from quickscale.apps.services.models import ServiceRun
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db


def person(email):
    return get_user_model().objects.create_user(email=email, password="x")


def fund(organization, amount, key="fund"):
    credits_grant(organization=organization, amount=amount, kind="payg", idempotency_key=key)


def bearer(token):
    return Client(headers={"Authorization": f"Bearer {token}"})


def call(api, text="one two"):
    return api.post(
        reverse("api_run", args=["text_statistics"]),
        json.dumps({"text": text}),
        content_type="application/json",
    )


@pytest.fixture
def acme():
    owner, dev = person("owner@example.com"), person("dev@example.com")
    organization = team(owner, "Acme", member=[dev])
    fund(organization, 10)
    fund(personal(dev), 3, key="dev-own")
    return organization, owner, dev


def test_a_team_key_spends_the_team_s_credits_and_acts_as_its_maker(acme):
    organization, _, dev = acme
    token = api_key_create(organization=organization, user=dev, name="ci").token
    response = call(bearer(token))
    assert response.status_code == 200
    assert response.json()["balance"] == credit_balance_get(organization=organization).total
    assert credit_balance_get(organization=personal(dev)).total == 3
    run = ServiceRun.objects.get()
    assert (run.organization, run.user) == (organization, dev)
    debit = LedgerEntry.objects.get(kind="debit")
    assert (debit.organization, debit.actor, debit.api_key_id) == (
        organization,
        dev,
        run.api_key_id,
    )


def test_balance_and_usage_answer_for_the_key_s_organization(acme):
    organization, owner, dev = acme
    team_key = api_key_create(organization=organization, user=dev, name="team").token
    own_key = api_key_create(organization=personal(dev), user=dev, name="own").token
    owner_key = api_key_create(organization=organization, user=owner, name="owner").token
    call(bearer(team_key))
    call(bearer(owner_key))
    call(bearer(own_key))
    team_api, own_api = bearer(team_key), bearer(own_key)
    assert team_api.get(reverse("api_balance")).json()["total"] == 10 - 2
    assert own_api.get(reverse("api_balance")).json()["total"] == 3 - 1
    team_runs = team_api.get(reverse("api_usage")).json()["runs"]
    own_runs = own_api.get(reverse("api_usage")).json()["runs"]
    assert len(team_runs) == 2 and len(own_runs) == 1
    assert {r["run"] for r in team_runs}.isdisjoint({r["run"] for r in own_runs})


def test_a_team_without_credits_refuses_even_when_the_member_has_their_own(acme):
    organization, _, dev = acme
    empty = team(dev, "Empty")
    token = api_key_create(organization=empty, user=dev, name="e").token
    response = call(bearer(token))
    assert response.status_code == 402
    assert response.json()["error"]["balance"] == 0
    assert credit_balance_get(organization=personal(dev)).total == 3
    assert credit_balance_get(organization=organization).total == 10


def test_a_removed_member_s_team_key_gets_401(acme):
    organization, owner, dev = acme
    token = api_key_create(organization=organization, user=dev, name="ci").token
    assert call(bearer(token)).status_code == 200
    membership_remove(
        actor=Membership.objects.get(organization=organization, user=owner),
        target=Membership.objects.get(organization=organization, user=dev),
    )
    response = call(bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_key"


def test_the_pages_show_the_current_organization_s_credits_keys_and_usage(acme):
    organization, owner, dev = acme
    api_key_create(organization=organization, user=owner, name="team-key")
    api_key_create(organization=personal(dev), user=dev, name="own-key")
    browser = Client()
    browser.force_login(dev)
    own = browser.get(reverse("credits_overview"))
    assert own.context["balance"].total == 3
    assert [k.name for k in browser.get(reverse("account_api_keys")).context["keys"]] == ["own-key"]
    session = browser.session
    session[SESSION_KEY] = organization.pk
    session.save()
    assert browser.get(reverse("credits_overview")).context["balance"].total == 10
    keys = browser.get(reverse("account_api_keys")).context["keys"]
    assert [k.name for k in keys] == ["team-key"]


def test_a_session_pointing_at_an_organization_one_has_left_falls_back_to_the_personal_one(acme):
    organization, _, _ = acme
    outsider = person("out@example.com")
    browser = Client()
    browser.force_login(outsider)
    session = browser.session
    session[SESSION_KEY] = organization.pk
    session.save()
    assert browser.get(reverse("credits_overview")).context["balance"].total == 0
    assert browser.session[SESSION_KEY] == personal(outsider).pk


def test_another_organization_s_key_is_not_found_on_the_keys_pages(acme):
    _, owner, dev = acme
    key = api_key_create(organization=personal(owner), user=owner, name="private").key
    browser = Client()
    browser.force_login(dev)
    assert browser.get(reverse("account_api_key_revoke", args=[key.pk])).status_code == 404
    assert browser.post(reverse("account_api_key_revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.status() == "active"


def test_a_member_may_not_revoke_a_key_another_member_made_but_an_admin_may(acme):
    organization, owner, dev = acme
    key = api_key_create(organization=organization, user=owner, name="owner's").key
    browser = Client()
    browser.force_login(dev)
    session = browser.session
    session[SESSION_KEY] = organization.pk
    session.save()
    assert browser.post(reverse("account_api_key_revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.status() == "active"
    Membership.objects.filter(organization=organization, user=dev).update(role="admin")
    assert browser.post(reverse("account_api_key_revoke", args=[key.pk])).status_code == 302
    key.refresh_from_db()
    assert key.status() == "revoked"


def test_the_keys_page_shows_who_made_each_key_and_revoke_only_where_the_policy_allows(acme):
    organization, owner, dev = acme
    mine = api_key_create(organization=organization, user=dev, name="dev's").key
    theirs = api_key_create(organization=organization, user=owner, name="owner's").key
    browser = Client()
    browser.force_login(dev)
    session = browser.session
    session[SESSION_KEY] = organization.pk
    session.save()
    page = browser.get(reverse("account_api_keys")).content.decode()
    assert "owner@example.com" in page and "dev@example.com" in page
    assert reverse("account_api_key_revoke", args=[mine.pk]) in page
    assert reverse("account_api_key_revoke", args=[theirs.pk]) not in page
    assert browser.get(reverse("account_api_key_revoke", args=[theirs.pk])).status_code == 403
