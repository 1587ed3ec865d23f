"""Products and prices → offers: what a product's metadata must say, and every reason one is
refused (each named, none skipped in silence)."""

import pytest

from quickscale.apps.billing.offers import map_products
from quickscale.apps.credits.models import MAX_CREDITS


def product(pid="prod_1", name="Starter", active=True, **metadata):
    return {"id": pid, "name": name, "active": active, "description": "", "metadata": metadata}


def price(pid="price_1", product="prod_1", amount=900, recurring=None, active=True, **extra):
    return {
        "id": pid,
        "product": product,
        "unit_amount": amount,
        "currency": "usd",
        "active": active,
        "billing_scheme": "per_unit",
        "recurring": recurring,
        **extra,
    }


MONTHLY = {"interval": "month", "interval_count": 1, "usage_type": "licensed"}
YEARLY = {"interval": "year", "interval_count": 1, "usage_type": "licensed"}


def test_a_pack_and_a_plan_with_two_intervals():
    mapped = map_products(
        [
            product(credits="1000", kind="pack"),
            product("prod_2", "Pro", credits="5000", kind="plan"),
        ],
        [
            price(),
            price("price_m", "prod_2", 2900, MONTHLY),
            price("price_y", "prod_2", 29000, YEARLY),
        ],
    )
    assert mapped.problems == []
    assert mapped.offers["price_1"]["kind"] == "pack"
    assert mapped.offers["price_1"]["credits"] == 1000
    assert mapped.offers["price_1"]["interval"] == ""
    assert mapped.offers["price_m"]["interval"] == "month"
    assert mapped.offers["price_y"]["interval"] == "year"
    assert mapped.offers["price_y"]["unit_amount"] == 29000


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({}, "no `credits` and `kind`"),
        ({"kind": "pack"}, "no `credits`"),
        ({"credits": "many", "kind": "pack"}, "not a whole number"),
        ({"credits": "-5", "kind": "pack"}, "not a whole number"),
        ({"credits": "0", "kind": "pack"}, "outside 1"),
        ({"credits": str(MAX_CREDITS + 1), "kind": "pack"}, "outside 1"),
        ({"credits": "10", "kind": "lifetime"}, "use `pack` or `plan`"),
        ({"credits": "10"}, "use `pack` or `plan`"),
        ({"credits": "10", "kind": "pack", "position": "first"}, "position"),
    ],
)
def test_bad_metadata_is_reported_with_its_reason(metadata, reason):
    mapped = map_products([product(**metadata)], [price()])
    assert mapped.offers == {}
    assert len(mapped.problems) == 1
    assert reason in mapped.problems[0].reason
    assert "prod_1" in str(mapped.problems[0]) and "Starter" in str(mapped.problems[0])


@pytest.mark.parametrize(
    ("kind", "the_price", "reason"),
    [
        ("pack", price(recurring=MONTHLY), "a pack is paid once"),
        ("plan", price(), "a plan needs a monthly or yearly price"),
        (
            "plan",
            price(recurring={"interval": "week", "usage_type": "licensed"}),
            "use month or year",
        ),
        ("plan", price(recurring={**MONTHLY, "usage_type": "metered"}), "metered"),
        ("pack", price(billing_scheme="tiered", amount=None), "not a fixed per-unit price"),
    ],
)
def test_prices_that_do_not_fit_the_kind_are_reported(kind, the_price, reason):
    mapped = map_products([product(credits="10", kind=kind)], [the_price])
    assert mapped.offers == {}
    assert [reason in problem.reason for problem in mapped.problems] == [True]


def test_a_product_without_an_active_price_is_reported():
    mapped = map_products([product(credits="10", kind="pack")], [price(active=False)])
    assert "no active price" in mapped.problems[0].reason
    assert mapped.offers["price_1"]["active"] is False


def test_archived_products_make_inactive_offers_and_no_noise():
    mapped = map_products([product(active=False, credits="10", kind="pack")], [price()])
    assert mapped.problems == []
    assert mapped.offers["price_1"]["active"] is False
    archived_without_metadata = map_products([product(active=False)], [price()])
    assert archived_without_metadata.problems == []


def test_metadata_is_read_leniently_where_stripe_is():
    mapped = map_products([product(credits=" 250 ", kind="Pack", position="3")], [price()])
    assert mapped.offers["price_1"]["credits"] == 250
    assert mapped.offers["price_1"]["position"] == 3
