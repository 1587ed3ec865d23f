"""`quickscale_stripe_sync`: every page of products, bad metadata named, and `--check`."""

import pytest
import stripe
from django.core.management import call_command

from quickscale.apps.billing.models import Offer
from tests.apps.billing.conftest import price_of

pytestmark = pytest.mark.django_db


def sync(*args):
    call_command("quickscale_stripe_sync", *args)


def test_150_products_are_all_synced(fake_stripe, capsys):
    for number in range(150):
        fake_stripe.create_product(
            name=f"Pack {number}",
            metadata={"credits": str(100 + number), "kind": "pack"},
            prices=[{"unit_amount": 100 + number, "currency": "usd"}],
        )
    sync()
    assert Offer.objects.filter(active=True).count() == 150
    assert set(Offer.objects.values_list("credits", flat=True)) == set(range(100, 250))
    assert "150 new" in capsys.readouterr().out


def test_products_with_bad_metadata_are_listed_with_the_reason(fake_stripe, capsys):
    fake_stripe.create_product(
        name="Good",
        metadata={"credits": "10", "kind": "pack"},
        prices=[{"unit_amount": 100, "currency": "usd"}],
    )
    fake_stripe.create_product(
        name="No credits",
        metadata={"kind": "pack"},
        prices=[{"unit_amount": 100, "currency": "usd"}],
    )
    fake_stripe.create_product(name="T-shirt", prices=[{"unit_amount": 2000, "currency": "usd"}])
    fake_stripe.create_product(
        name="Wrong interval",
        metadata={"credits": "10", "kind": "pack"},
        prices=[{"unit_amount": 100, "currency": "usd", "recurring": {"interval": "month"}}],
    )
    sync()
    err = capsys.readouterr().err
    assert "'No credits'" in err and "no `credits`" in err
    assert "'T-shirt'" in err and "grants nothing" in err
    assert "'Wrong interval'" in err and "a pack is paid once" in err
    assert list(Offer.objects.values_list("name", flat=True)) == ["Good"]


def test_check_names_each_difference_and_exits_1(fake_stripe, capsys):
    product = fake_stripe.create_product(
        name="Starter",
        metadata={"credits": "1000", "kind": "pack"},
        prices=[{"unit_amount": 900, "currency": "usd"}],
    )
    old_price = price_of(fake_stripe, product)
    sync()
    sync("--check")
    assert "match" in capsys.readouterr().out
    # Prices cannot change in Stripe: a new price replaces the old one, which is archived.
    stripe.Price.create(product=product["id"], unit_amount=1200, currency="usd")
    stripe.Price.modify(old_price, active=False)
    stripe.Product.modify(product["id"], metadata={"credits": "1500"})
    with pytest.raises(SystemExit) as exit:
        sync("--check")
    assert exit.value.code == 1
    out = capsys.readouterr().out
    assert f"{old_price} (Starter): credits is 1000 here, 1500 in Stripe" in out
    assert f"{old_price} (Starter): active is True here, False in Stripe" in out
    assert "in Stripe, not synced here" in out
    assert Offer.objects.get().unit_amount == 900  # --check wrote nothing
    sync()
    sync("--check")
    offer = Offer.objects.get(active=True)
    assert (offer.unit_amount, offer.credits) == (1200, 1500)
