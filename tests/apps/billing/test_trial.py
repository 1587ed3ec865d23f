"""Free trial credits: a setting, off by default, granted once to each new organization."""

import pytest
from django.test import override_settings

from quickscale.apps.billing.services import trial_credits_grant
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.orgs.services import organization_create
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_user(email="ada@example.com", password="x")


def test_off_by_default(ada):
    assert credit_balance_get(organization=personal(ada)).total == 0


@override_settings(QUICKSCALE_TRIAL_CREDITS=250)
def test_every_new_organization_gets_them_once(ada):
    mine = personal(ada)
    acme = organization_create(user=ada, name="Acme")
    for organization in (mine, acme):
        trial_credits_grant(organization)  # again: nothing more
        balance = credit_balance_get(organization=organization)
        assert balance.total == 250
        assert balance.promo == 250
