"""The fake served over real HTTP: the API through stripe.api_base, the checkout and portal."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

from quickscale.testing.fakestripe import FAKE_SECRET_KEY, FakeStripe


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _post(url, **form):
    data = urllib.parse.urlencode(form).encode()
    try:
        _opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=10)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
        return redirect.headers["Location"]
    raise AssertionError("expected a redirect")


@pytest.fixture
def served(monkeypatch):
    fake = FakeStripe(deliver=lambda url, body, headers: 200)
    server = fake.serve()
    # The SDK's own HTTP client, pointed at the server as STRIPE_API_HOST points dj-stripe.
    monkeypatch.setattr(stripe, "default_http_client", None)
    monkeypatch.setattr(stripe, "api_base", server.url)
    monkeypatch.setattr(stripe, "api_key", FAKE_SECRET_KEY)
    yield fake, server
    server.shutdown()


def _plan(name, amount):
    product = stripe.Product.create(name=name)
    return stripe.Price.create(
        product=product.id, unit_amount=amount, currency="usd", recurring={"interval": "month"}
    )


def test_api_over_http(served):
    fake, _ = served
    customer = stripe.Customer.create(email="a@example.com")
    assert stripe.Customer.retrieve(customer.id).email == "a@example.com"
    assert fake.get(customer.id)["email"] == "a@example.com"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.retrieve("cus_missing")


def test_checkout_page_pays_and_redirects_to_success_url(served):
    price = _plan("Pro", 900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=stripe.Customer.create(email="a@example.com").id,
        line_items=[{"price": price.id}],
        success_url="http://app.test/billing/done?session={CHECKOUT_SESSION_ID}",
        cancel_url="http://app.test/pricing/",
    )
    page = _get(session.url)
    assert "Fake Stripe" in page and "Pro" in page and "9.00 USD" in page
    assert "4242 4242 4242 4242" in page and "http://app.test/pricing/" in page
    location = _post(f"{session.url}/pay", email="a@example.com")
    assert location == f"http://app.test/billing/done?session={session.id}"
    paid = stripe.checkout.Session.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert stripe.Subscription.retrieve(paid.subscription).status == "active"


def test_portal_page_switches_plan_and_cancels_at_period_end(served):
    fake, _ = served
    basic, pro = _plan("Basic", 900), _plan("Pro", 2900)
    customer = stripe.Customer.create(email="a@example.com")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": basic.id}],
        success_url="http://app.test/ok",
    )
    sub_id = fake.pay_checkout_session(session.id)["subscription"]
    portal = stripe.billing_portal.Session.create(
        customer=customer.id, return_url="http://app.test/b"
    )
    page = _get(portal.url)
    assert "Basic" in page and "Renews on" in page and "Switch to Pro" in page
    assert "http://app.test/b" in page
    assert (
        _post(f"{portal.url}/switch", subscription=sub_id, price=pro.id) == f"/portal/{portal.id}"
    )
    assert stripe.Subscription.retrieve(sub_id)["items"].data[0].price.id == pro.id
    _post(f"{portal.url}/cancel", subscription=sub_id)
    assert stripe.Subscription.retrieve(sub_id).cancel_at_period_end is True
    assert "Ends on" in _get(portal.url)


def test_clock_page_renews_and_refunds(served):
    fake, server = served
    price = _plan("Pro", 900)
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=stripe.Customer.create(email="a@example.com").id,
        line_items=[{"price": price.id}],
        success_url="http://app.test/ok",
    )
    sub_id = fake.pay_checkout_session(session.id)["subscription"]
    assert "Renew now" in _get(f"{server.url}/clock")
    _post(f"{server.url}/clock/renew", subscription=sub_id)
    assert len(stripe.Invoice.list(subscription=sub_id).data) == 2
    charge = stripe.Charge.list(limit=1).data[0]
    _post(f"{server.url}/clock/refund", charge=charge.id)
    assert stripe.Charge.retrieve(charge.id).refunded is True


def test_served_events_arrive_after_the_call_is_answered_and_failures_are_retried(settings):
    import json
    import threading
    import time

    answered = threading.Event()
    seen: list[tuple[str, bool]] = []

    def deliver(url, body, headers):
        event_type = json.loads(body)["type"]
        seen.append((event_type, answered.wait(timeout=2)))
        return 500 if len(seen) == 1 else 200

    fake = FakeStripe(deliver=deliver)
    fake.deliver_in_background()
    fake.webhook_endpoint_create(
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["customer.created"]}
    )
    with fake.installed():
        stripe.Customer.create(email="ada@example.com", api_key=FAKE_SECRET_KEY)
        answered.set()
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    # Sent once the API had answered (never while the caller waited), then again after a 500.
    assert seen == [("customer.created", True), ("customer.created", True)]
