"""The fake through the real stripe SDK: every resource, pagination, errors, idempotency."""

import pytest
import stripe

from quickscale.testing.fakestripe import FakeStripe


def _price(name="Pro", amount=900, recurring=True, **extra):
    product = stripe.Product.create(name=name, metadata={"credits": "100"})
    return stripe.Price.create(
        product=product.id,
        unit_amount=amount,
        currency="usd",
        recurring={"interval": "month"} if recurring else None,
        **extra,
    )


def test_products_and_prices_create_retrieve_update_and_list_with_filters(fake_stripe):
    monthly = _price(lookup_key="pro_monthly")
    one_off = _price(name="Pack", amount=500, recurring=False)
    product = stripe.Product.modify(monthly.product, metadata={"credits": "200"}, name="Pro+")
    assert (product.name, product.metadata.credits) == ("Pro+", "200")
    assert stripe.Price.retrieve(monthly.id, expand=["product"]).product.name == "Pro+"
    assert [p.id for p in stripe.Price.list(type="one_time").data] == [one_off.id]
    assert [p.id for p in stripe.Price.list(product=monthly.product).data] == [monthly.id]
    assert [p.id for p in stripe.Price.list(lookup_keys=["pro_monthly"]).data] == [monthly.id]
    stripe.Price.modify(one_off.id, active=False)
    assert [p.id for p in stripe.Price.list(active=True).data] == [monthly.id]
    listed = stripe.Price.list(expand=["data.product"]).data
    assert {p.product.name for p in listed} == {"Pro+", "Pack"}
    assert stripe.Product.retrieve(monthly.product).metadata.to_dict() == {"credits": "200"}


def test_auto_paging_iter_walks_150_products_newest_first(fake_stripe):
    created = [stripe.Product.create(name=f"Product {n}").id for n in range(150)]
    page = stripe.Product.list()
    assert len(page.data) == 10 and page.has_more and page.url == "/v1/products"
    walked = [p.id for p in stripe.Product.list(limit=100).auto_paging_iter()]
    assert walked == created[::-1]
    before = stripe.Product.list(ending_before=created[10], limit=3)
    assert [p.id for p in before.data] == created[13:10:-1] and before.has_more


def test_checkout_session_create_retrieve_line_items_list_and_expire(fake_stripe):
    price = _price()
    customer = stripe.Customer.create(email="a@example.com", name="A")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        client_reference_id="org-1",
        line_items=[{"price": price.id, "quantity": 2}],
        metadata={"organization": "1"},
        success_url="http://testserver/ok?session={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/pricing/",
    )
    assert session.url.endswith(f"/checkout/{session.id}")
    assert (session.amount_total, session.status, session.payment_status) == (
        1800,
        "open",
        "unpaid",
    )
    expanded = stripe.checkout.Session.retrieve(session.id, expand=["line_items", "customer"])
    assert expanded.line_items.data[0].price.id == price.id
    assert expanded.customer.email == "a@example.com"
    assert stripe.checkout.Session.list_line_items(session.id).data[0].quantity == 2
    assert [s.id for s in stripe.checkout.Session.list(customer=customer.id).data] == [session.id]
    assert stripe.checkout.Session.expire(session.id).status == "expired"
    assert fake_stripe.events[-1]["type"] == "checkout.session.expired"


def test_paid_subscription_checkout_has_the_dahlia_invoice_and_subscription_shapes(fake_stripe):
    price = _price()
    customer = stripe.Customer.create(email="a@example.com")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="http://testserver/ok",
        subscription_data={"metadata": {"organization": "7"}},
    )
    paid = fake_stripe.pay_checkout_session(session.id)
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    subscription = stripe.Subscription.retrieve(paid["subscription"])
    item = subscription["items"].data[0]
    assert subscription.status == "active" and subscription.metadata.organization == "7"
    assert item.price.id == price.id and item.current_period_end > item.current_period_start
    invoice = stripe.Invoice.retrieve(paid["invoice"], expand=["payments"])
    assert invoice.billing_reason == "subscription_create" and invoice.status == "paid"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.parent.subscription_details.metadata.organization == "7"
    line = invoice.lines.data[0]
    assert line.pricing.price_details.price == price.id
    assert line.period.end == item.current_period_end
    assert line.parent.subscription_item_details.proration is False
    payment_intent = stripe.PaymentIntent.retrieve(invoice.payments.data[0].payment.payment_intent)
    charge = stripe.Charge.retrieve(payment_intent.latest_charge, expand=["balance_transaction"])
    assert charge.amount == 900 and charge.balance_transaction.net == 900 - 56
    assert stripe.Invoice.list_lines(invoice.id).data[0].id == line.id
    assert [i.id for i in stripe.Invoice.list(customer=customer.id).data] == [invoice.id]
    assert stripe.Subscription.list(customer=customer.id).data[0].id == subscription.id
    assert stripe.PaymentMethod.retrieve(payment_intent.payment_method).card.last4 == "4242"


def test_renewal_upgrade_and_downgrade(fake_stripe):
    basic, pro = _price("Basic", 900), _price("Pro", 2900)
    customer = stripe.Customer.create(email="a@example.com")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": basic.id}],
        success_url="http://testserver/ok",
    )
    sub_id = fake_stripe.pay_checkout_session(session.id)["subscription"]
    first_end = stripe.Subscription.retrieve(sub_id)["items"].data[0].current_period_end
    renewal = fake_stripe.renew_subscription(sub_id)
    assert renewal["billing_reason"] == "subscription_cycle" and renewal["amount_paid"] == 900
    item = stripe.Subscription.retrieve(sub_id)["items"].data[0]
    assert item.current_period_start == first_end

    fake_stripe.change_subscription_price(sub_id, pro.id)
    upgrade = stripe.Invoice.list(subscription=sub_id, limit=1).data[0]
    assert upgrade.billing_reason == "subscription_update" and upgrade.status == "paid"
    credit, debit = upgrade.lines.data
    assert credit.amount < 0 < debit.amount and credit.pricing.price_details.price == basic.id
    assert credit.parent.subscription_item_details.proration is True
    assert credit.period.end == debit.period.end == item.current_period_end
    assert stripe.Subscription.retrieve(sub_id)["items"].data[0].price.id == pro.id

    fake_stripe.change_subscription_price(sub_id, basic.id)
    subscription = stripe.Subscription.retrieve(sub_id)
    assert subscription["items"].data[0].price.id == pro.id  # until the renewal
    schedule = stripe.SubscriptionSchedule.retrieve(subscription.schedule)
    assert [phase["items"][0].price for phase in schedule.phases] == [pro.id, basic.id]
    renewal = fake_stripe.renew_subscription(sub_id)
    assert [line["pricing"]["price_details"]["price"] for line in renewal["lines"]["data"]] == [
        basic.id
    ]
    assert stripe.Subscription.retrieve(sub_id)["items"].data[0].price.id == basic.id


def test_cancel_at_period_end_then_renewal_ends_the_subscription(fake_stripe):
    price = _price()
    customer = stripe.Customer.create(email="a@example.com")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price.id}],
        success_url="http://testserver/ok",
    )
    sub_id = fake_stripe.pay_checkout_session(session.id)["subscription"]
    stripe.Subscription.modify(sub_id, cancel_at_period_end=True)
    invoices = len(stripe.Invoice.list().data)
    assert fake_stripe.renew_subscription(sub_id) is None
    assert stripe.Subscription.retrieve(sub_id).status == "canceled"
    assert fake_stripe.events[-1]["type"] == "customer.subscription.deleted"
    assert len(stripe.Invoice.list().data) == invoices
    assert stripe.Subscription.list(customer=customer.id).data == []
    assert len(stripe.Subscription.list(customer=customer.id, status="all").data) == 1


def test_payment_checkout_then_partial_and_full_refunds(fake_stripe):
    price = _price(name="Pack", amount=500, recurring=False)
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": price.id, "quantity": 2}],
        customer_email="guest@example.com",
        payment_intent_data={"metadata": {"credits": "200"}},
        success_url="http://testserver/ok",
    )
    paid = fake_stripe.pay_checkout_session(session.id)
    payment_intent = stripe.PaymentIntent.retrieve(paid["payment_intent"])
    assert payment_intent.status == "succeeded" and payment_intent.metadata.credits == "200"
    first = stripe.Refund.create(payment_intent=payment_intent.id, amount=300)
    assert [e["type"] for e in fake_stripe.events[-2:]] == ["charge.refunded", "refund.created"]
    charge = stripe.Charge.retrieve(payment_intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (300, False)
    second = fake_stripe.refund(charge.id)
    charge = stripe.Charge.retrieve(charge.id)
    assert (second["amount"], charge.amount_refunded, charge.refunded) == (700, 1000, True)
    assert [r.id for r in charge.refunds.data] == [second["id"], first.id]
    assert stripe.Refund.retrieve(first.id).amount == 300
    assert len(stripe.Refund.list(payment_intent=payment_intent.id).data) == 2
    with pytest.raises(stripe.InvalidRequestError, match="already been refunded"):
        stripe.Refund.create(charge=charge.id)


def test_portal_session_account_events_and_webhook_endpoints(fake_stripe):
    customer = stripe.Customer.create(email="a@example.com")
    portal = stripe.billing_portal.Session.create(customer=customer.id, return_url="http://x/b")
    assert portal.url.endswith(f"/portal/{portal.id}") and portal.return_url == "http://x/b"
    assert stripe.Account.retrieve().id.startswith("acct_")
    event = stripe.Event.list(type="customer.*").data[0]
    assert event.type == "customer.created" and event.data.object.id == customer.id
    assert stripe.Event.retrieve(event.id).api_version == fake_stripe.api_version
    endpoint = stripe.WebhookEndpoint.create(url="http://x/hook", enabled_events=["*"])
    assert endpoint.secret.startswith("whsec_")
    assert "secret" not in stripe.WebhookEndpoint.retrieve(endpoint.id)
    updated = stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    assert updated.status == "disabled"
    assert [e.id for e in stripe.WebhookEndpoint.list().data] == [endpoint.id]
    assert stripe.WebhookEndpoint.delete(endpoint.id).deleted is True
    assert stripe.WebhookEndpoint.list().data == []


def test_errors_raise_the_sdks_own_exceptions(fake_stripe):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.retrieve("cus_missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as required:
        stripe.Product.create(metadata={"a": "b"})
    assert (required.value.http_status, required.value.param) == (400, "name")
    with pytest.raises(stripe.InvalidRequestError, match="recurring price"):
        stripe.checkout.Session.create(
            mode="payment", line_items=[{"price": _price().id}], success_url="http://x/"
        )
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list(api_key="sk_live_" + "x" * 24)
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list(api_key="")


def test_same_idempotency_key_replays_the_first_answer(fake_stripe):
    first = stripe.Customer.create(email="a@example.com", idempotency_key="key-1")
    again = stripe.Customer.create(email="a@example.com", idempotency_key="key-1")
    assert again.id == first.id
    assert len(stripe.Customer.list().data) == 1
    assert [e["type"] for e in fake_stripe.events] == ["customer.created"]
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(email="b@example.com", idempotency_key="key-1")


def test_events_queue_when_auto_delivery_is_off(fake_stripe):
    received = []
    fake_stripe.deliverer = lambda url, body, headers: received.append(url) or 200
    stripe.WebhookEndpoint.create(url="http://x/hook", enabled_events=["product.created"])
    fake_stripe.auto_deliver = False
    stripe.Product.create(name="A")
    stripe.Customer.create(email="a@example.com")
    assert received == [] and [e["type"] for e in fake_stripe.pending] == [
        "product.created",
        "customer.created",
    ]
    assert fake_stripe.deliver_pending() == [200]
    assert received == ["http://x/hook"] and fake_stripe.pending == []
    assert fake_stripe.deliver(fake_stripe.events[0]["id"]) == [200]


def test_state_file_keeps_objects_across_restarts(tmp_path, settings):
    state = tmp_path / "fake-stripe.json"
    first = FakeStripe(state_path=state)
    product = first.create_product(name="Kept", prices=[{"unit_amount": 100, "currency": "usd"}])
    second = FakeStripe(state_path=state)
    assert second.get(product["id"])["name"] == "Kept"
    assert second.get(product["default_price"])["unit_amount"] == 100
