"""Every object the fake returns carries the fields of Stripe's own example object."""

import json
from pathlib import Path

import pytest

from quickscale.testing.fakestripe.blanks import BLANKS

FIXTURES = json.loads((Path(__file__).parent / "stripe_fixtures.json").read_text())


@pytest.mark.parametrize("kind", sorted(BLANKS))
def test_blank_has_the_fields_of_stripes_example(kind):
    assert set(BLANKS[kind]) == set(FIXTURES[kind])


def test_rendered_objects_have_stripes_fields(fake_stripe):
    import stripe

    price = stripe.Price.create(
        product=stripe.Product.create(name="Pro").id,
        unit_amount=900,
        currency="usd",
        recurring={"interval": "month"},
    )
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=stripe.Customer.create(email="a@example.com").id,
        line_items=[{"price": price.id}],
        success_url="http://x/",
    )
    fake_stripe.pay_checkout_session(session.id)
    fake_stripe.refund(fake_stripe.all("charge")[0]["id"], 100)
    seen = set()
    for obj in fake_stripe._objects.values():
        rendered = fake_stripe.render(obj)
        kind = rendered["object"]
        assert set(rendered) == set(FIXTURES[kind]), kind
        seen.add(kind)
    assert {"invoice", "subscription", "charge", "refund", "checkout.session", "event"} <= seen
