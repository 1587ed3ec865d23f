"""Billing without a Stripe key is a supported state: the pages say so, nothing else breaks,
and `check` warns once."""

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from quickscale.apps.billing.checks import billing_configured
from tests.apps.orgs.test_views import client_for
from tests.orgs import personal, team

pytestmark = pytest.mark.django_db

OFF = override_settings(STRIPE_SECRET_KEY="", STRIPE_TEST_SECRET_KEY="", STRIPE_LIVE_SECRET_KEY="")


@pytest.fixture
def ada(django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com", password="x")
    personal(user)
    return user


@OFF
def test_pricing_says_billing_is_off():
    response = Client().get(reverse("pricing"))
    assert response.status_code == 200
    assert b'data-testid="billing-off"' in response.content


@OFF
def test_billing_page_says_so_and_shows_the_balance(ada):
    response = client_for(ada).get(reverse("billing_overview"))
    assert response.status_code == 200
    assert b'data-testid="billing-off"' in response.content
    assert b'data-testid="billing-balance"' in response.content


@OFF
def test_checkout_and_portal_explain_and_go_back(ada):
    client = client_for(ada)
    response = client.post(reverse("billing_checkout", args=["price_x"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pricing")
    assert b"STRIPE_SECRET_KEY" in response.content
    response = client.post(reverse("billing_portal"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("billing_overview")


@OFF
def test_check_warns_once():
    warnings = billing_configured()
    assert [warning.id for warning in warnings] == ["quickscale_billing.W001"]


@override_settings(STRIPE_SECRET_KEY="sk_test_configured")
def test_check_is_quiet_when_configured():
    assert billing_configured() == []


@OFF
def test_sync_command_says_what_to_set(capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY"):
        call_command("quickscale_stripe_sync")


def test_members_who_are_not_owners_cannot_reach_billing(django_user_model):
    owner = django_user_model.objects.create_user(email="owner@example.com", password="x")
    admin = django_user_model.objects.create_user(email="admin@example.com", password="x")
    member = django_user_model.objects.create_user(email="member@example.com", password="x")
    acme = team(owner, admin=[admin], member=[member])
    for user in (admin, member):
        client = client_for(user, acme)
        assert client.get(reverse("billing_overview")).status_code == 403
        assert client.post(reverse("billing_portal")).status_code == 403
        assert client.post(reverse("billing_checkout", args=["price_x"])).status_code == 403
    assert client_for(owner, acme).get(reverse("billing_overview")).status_code == 200


def test_billing_pages_need_a_sign_in():
    for name in ("billing_overview", "billing_success", "billing_cancelled"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
