import pytest

from tests.orgs import personal

PACK_CREDITS = 1000
BASIC_CREDITS = 5000
PRO_CREDITS = 20000


@pytest.fixture
def shop(fake_stripe, db):
    """The fake Stripe with a pack and two plans, offers synced, and this site's webhook
    endpoint registered in it."""
    from quickscale.apps.billing.endpoints import webhook_endpoint_ensure
    from quickscale.apps.billing.offers import offers_sync

    pack = fake_stripe.create_product(
        name="Starter pack",
        metadata={"credits": str(PACK_CREDITS), "kind": "pack"},
        prices=[{"unit_amount": 900, "currency": "usd"}],
    )
    basic = fake_stripe.create_product(
        name="Basic",
        metadata={"credits": str(BASIC_CREDITS), "kind": "plan"},
        prices=[
            {"unit_amount": 1900, "currency": "usd", "recurring": {"interval": "month"}},
            {"unit_amount": 19000, "currency": "usd", "recurring": {"interval": "year"}},
        ],
    )
    pro = fake_stripe.create_product(
        name="Pro",
        metadata={"credits": str(PRO_CREDITS), "kind": "plan"},
        prices=[{"unit_amount": 4900, "currency": "usd", "recurring": {"interval": "month"}}],
    )
    webhook_endpoint_ensure("http://testserver")
    offers_sync()
    fake_stripe.products = {"pack": pack, "basic": basic, "pro": pro}
    return fake_stripe


def price_of(fake, product, interval=None):
    for price in fake.all("price"):
        recurring = price["recurring"]
        if price["product"] == product["id"] and (
            (interval is None and not recurring)
            or (recurring and recurring["interval"] == interval)
        ):
            return price["id"]
    raise LookupError(product["name"], interval)


@pytest.fixture
def owner(django_user_model):
    user = django_user_model.objects.create_user(email="owner@example.com", password="x")
    personal(user)
    return user


@pytest.fixture
def membership(owner):
    from quickscale.apps.orgs.models import Membership

    return Membership.objects.select_related("organization").get(
        user=owner, organization=personal(owner)
    )
