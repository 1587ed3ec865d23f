"""Billing in the admin: offers resynced from Stripe (never edited), purchases with refunds,
customers with their organization, plan and balance."""

import pytest
import stripe
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from quickscale.apps.billing.models import Offer
from tests.apps.billing.conftest import BASIC_CREDITS, PACK_CREDITS, price_of
from tests.apps.billing.test_flows import buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    client = Client()
    client.force_login(
        django_user_model.objects.create_superuser(email="root@example.com", password="pw-x-1")
    )
    return client


def test_resync_copies_stripe_and_names_what_is_wrong(shop, root):
    stripe.Product.modify(shop.products["pro"]["id"], metadata={"credits": "none"})
    Offer.objects.all().delete()
    url = reverse("admin:quickscale_billing_offer_changelist")
    response = root.post(url, {"action": "resync", ACTION_CHECKBOX_NAME: []}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Offers synced from Stripe: 3 new" in text
    assert "Not offered:" in text and "&#x27;Pro&#x27;" in text
    assert set(Offer.objects.values_list("name", flat=True)) == {"Starter pack", "Basic"}


def test_offers_are_read_only(shop, root):
    offer = Offer.objects.first()
    assert root.get(reverse("admin:quickscale_billing_offer_add")).status_code == 403
    change = reverse("admin:quickscale_billing_offer_change", args=[offer.pk])
    assert root.post(change, {"credits": "1"}).status_code == 403
    assert Offer.objects.get(pk=offer.pk).credits == offer.credits


def test_purchases_and_customers_show_what_was_bought_and_refunded(shop, root, membership):
    session = buy(shop, membership, price_of(shop, shop.products["pack"]))
    shop.refund(session["payment_intent"], amount=450)
    buy(shop, membership, price_of(shop, shop.products["basic"], "month"))
    purchases = root.get(reverse("admin:quickscale_billing_purchase_changelist")).content.decode()
    assert session["id"] in purchases and "450" in purchases
    customers = root.get(reverse("admin:quickscale_billing_billingcustomer_changelist"))
    text = customers.content.decode()
    assert membership.organization.name in text
    assert "Basic (active)" in text
    assert str(PACK_CREDITS // 2 + BASIC_CREDITS) in text


def test_resync_without_stripe_says_so_and_changes_nothing(root, settings):
    settings.STRIPE_SECRET_KEY = ""
    url = reverse("admin:quickscale_billing_offer_changelist")
    response = root.post(url, {"action": "resync", ACTION_CHECKBOX_NAME: []}, follow=True)
    assert "Nothing synced" in response.content.decode()
    assert not Offer.objects.exists()
