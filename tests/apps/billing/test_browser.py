"""Buying credits in a real Chromium, with real HTTP everywhere: the site on Django's live server,
the fake Stripe served on 127.0.0.1 (its checkout, portal and test-clock pages), the site's
Stripe SDK calling the fake over HTTP, and every event posted to the site's webhook URL and
verified by dj-stripe against its signature. Under the Content-Security-Policy throughout."""

import copy
import re
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from django.core import mail
from django.urls import reverse

from quickscale.apps.billing.models import Purchase, PurchaseKind
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.testing.fakestripe import FAKE_SECRET_KEY, FakeStripe, http_deliverer
from tests.apps.billing.conftest import BASIC_CREDITS, PACK_CREDITS, PRO_CREDITS
from tests.apps.credits.test_browser import signed_in
from tests.orgs import personal, team
from tests.test_csp_browser import PolicyWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "an unusual passphrase 7"
PHONE = {"width": 390, "height": 844}
SECOND = timedelta(seconds=1)


@pytest.fixture
def stripe_site(settings, live_server, monkeypatch):
    """The fake Stripe served over HTTP with a pack and two plans, the site pointed at it as
    STRIPE_API_HOST points a project at it, the offers synced and the site's webhook endpoint
    registered with the live server's address."""
    from quickscale.apps.billing.endpoints import webhook_endpoint_ensure
    from quickscale.apps.billing.offers import offers_sync

    fake = FakeStripe(api_version=settings.STRIPE_API_VERSION, deliver=http_deliverer)
    server = fake.serve(host="127.0.0.1")
    # The SDK's own HTTP client, over the network, as in production: only the host differs.
    # (dj-stripe copies STRIPE_API_HOST into stripe.api_base once, when its settings load.)
    monkeypatch.setattr(stripe, "default_http_client", None)
    monkeypatch.setattr(stripe, "api_base", server.url)
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_HOST = server.url
    # The project's settings turn STRIPE_REDIRECT_ORIGINS into the policy's form-action once,
    # at load; django-csp reads CONTENT_SECURITY_POLICY on every response. So both change, as
    # they would for a project started with STRIPE_API_HOST set: Stripe's origins out, the
    # fake's in, every other directive as it was.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    directives = policy["DIRECTIVES"]
    directives["form-action"] = [
        source
        for source in directives["form-action"]
        if source not in settings.STRIPE_REDIRECT_ORIGINS
    ] + [server.url]
    settings.STRIPE_REDIRECT_ORIGINS = [server.url]
    settings.CONTENT_SECURITY_POLICY = policy

    fake.create_product(
        name="Starter pack",
        metadata={"credits": str(PACK_CREDITS), "kind": "pack"},
        prices=[{"unit_amount": 900, "currency": "usd"}],
    )
    fake.create_product(
        name="Basic",
        metadata={"credits": str(BASIC_CREDITS), "kind": "plan", "position": "1"},
        prices=[
            {"unit_amount": 1900, "currency": "usd", "recurring": {"interval": "month"}},
            {"unit_amount": 19000, "currency": "usd", "recurring": {"interval": "year"}},
        ],
    )
    fake.create_product(
        name="Pro",
        metadata={"credits": str(PRO_CREDITS), "kind": "plan", "position": "2"},
        prices=[{"unit_amount": 4900, "currency": "usd", "recurring": {"interval": "month"}}],
    )
    webhook_endpoint_ensure(live_server.url)
    offers_sync()
    fake.url = server.url
    yield fake
    server.shutdown()


@pytest.fixture
def watch(page, live_server):
    return PolicyWatch(page, live_server)


def balance(user, at=None):
    return credit_balance_get(organization=personal(user), now=at).total


def confirmed_deliveries(fake):
    """Every event reached the site and dj-stripe accepted it (signature and handler)."""
    return [status for _, _, status in fake.deliveries if status != 200] == []


def offer(page, name):
    return page.get_by_test_id("offer").filter(has=page.get_by_role("heading", name=name))


def pay(page, fake, watch, button):
    """Click a Buy or Subscribe button: through the site's 303 to the fake's checkout page,
    where the test card is filled in."""
    button.click()
    page.wait_for_url(f"{fake.url}/checkout/**")
    watch.check("redirected to checkout")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url("**/billing/success/?session_id=*")


def held_until_polled(page, fake, watch):
    """Back on the success page with the payment's events held: the page waits, then, sent
    between two of its polls (so the site never serves both at once), they arrive."""
    page.get_by_test_id("credits-waiting").wait_for()
    watch.check("back from checkout, waiting")
    with page.expect_response(lambda response: "/billing/success/" in response.url):
        pass
    assert fake.deliver_pending()
    fake.auto_deliver = True
    arrived = page.get_by_test_id("credits-arrived")
    arrived.wait_for()
    assert page.get_by_test_id("credits-waiting").count() == 0
    watch.check("the credits arrived")
    return arrived.inner_text()


def subscription(fake):
    (live,) = [s for s in fake.all("subscription") if s["status"] != "canceled"]
    return fake.render(live)


def period_end(fake):
    item = subscription(fake)["items"]["data"][0]
    return datetime.fromtimestamp(item["current_period_end"], tz=UTC)


def shown_renewal(page):
    time = page.get_by_test_id("plan-renewal").locator("time")
    return datetime.fromisoformat(time.get_attribute("datetime"))


def test_a_new_customer_buys_a_pack_and_a_refund_takes_it_back(
    watch, page, stripe_site, django_user_model, settings
):
    fake = stripe_site
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # production's default
    page.set_default_timeout(10_000)
    # Signed out, Pricing offers to sign up; the sign-up form, then the e-mail's link.
    watch.visit(reverse("pricing"))
    offer(page, "Starter pack").get_by_role("link", name="Sign up to buy").click()
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    (link,) = re.findall(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/account/|/pricing/"))
    watch.check("signed up and verified")
    ada = django_user_model.objects.get(email="ada@example.com")

    # The webhook is held back until the success page is waiting for it.
    fake.auto_deliver = False
    page.get_by_role("navigation").get_by_role("link", name="Pricing").click()
    pay(page, fake, watch, offer(page, "Starter pack").get_by_role("button", name="Buy credits"))
    assert balance(ada) == 0
    assert f"{PACK_CREDITS} credits have arrived" in held_until_polled(page, fake, watch)
    assert balance(ada) == PACK_CREDITS
    assert confirmed_deliveries(fake)

    watch.visit(reverse("credits_overview"))
    assert page.get_by_test_id("balance-total").inner_text() == str(PACK_CREDITS)

    # Refunded from the fake's test clock: the payment's credits are taken back.
    purchase = Purchase.objects.get(organization=personal(ada))
    assert purchase.kind == PurchaseKind.PACK
    page.goto(f"{fake.url}/clock")
    page.get_by_role("row").filter(has_text=purchase.payment_intent_id).get_by_role(
        "button", name="Refund"
    ).click()
    page.get_by_role("row").filter(has_text=purchase.payment_intent_id).get_by_text(
        "refunded", exact=True
    ).wait_for()
    assert balance(ada) == 0
    watch.visit(reverse("billing_overview"))
    assert page.get_by_test_id("billing-balance").inner_text() == "0"
    assert f"{PACK_CREDITS} credits taken back" in page.get_by_test_id("purchase").inner_text()
    watch.visit(reverse("credits_overview"))
    assert page.get_by_test_id("balance-total").inner_text() == "0"
    assert confirmed_deliveries(fake)


def portal(page, fake, watch):
    page.get_by_role("button", name="Manage plan and payments").click()
    page.wait_for_url(f"{fake.url}/portal/**")
    watch.check("redirected to the portal")


def back_from_portal(page, watch):
    page.get_by_role("link", name="Return").click()
    page.wait_for_url("**/billing/")
    watch.check("back from the portal")


def renew(page, fake):
    """The fake's test clock: the period ends now and the subscription renews."""
    page.goto(f"{fake.url}/clock")
    with page.expect_navigation():
        page.get_by_role("button", name="Renew now").click()


def test_a_plan_through_renewals_an_upgrade_a_downgrade_and_its_cancellation(
    watch, page, live_server, stripe_site, owner
):
    fake = stripe_site
    page.set_default_timeout(10_000)
    signed_in(page.context, live_server, owner)
    watch.visit(reverse("pricing"))
    fake.auto_deliver = False
    pay(page, fake, watch, offer(page, "Basic").get_by_role("button", name="Subscribe"))
    assert f"{BASIC_CREDITS} credits have arrived" in held_until_polled(page, fake, watch)
    first_end = period_end(fake)
    assert balance(owner) == BASIC_CREDITS
    assert balance(owner, at=first_end + SECOND) == 0

    watch.visit(reverse("billing_overview"))
    assert "Basic" in page.get_by_test_id("plan-name").inner_text()
    assert page.get_by_test_id("plan-renewal").inner_text().startswith("Renews on")
    assert shown_renewal(page) == first_end

    # Renewed: the new period brings its credits whole, and the old period's lapse with it.
    renew(page, fake)
    second_end = period_end(fake)
    assert second_end > first_end
    assert balance(owner, at=first_end - SECOND) == 2 * BASIC_CREDITS
    assert balance(owner, at=first_end + SECOND) == BASIC_CREDITS
    assert balance(owner, at=second_end + SECOND) == 0
    watch.visit(reverse("billing_overview"))
    assert shown_renewal(page) == second_end
    assert page.get_by_test_id("invoice").count() == 2

    # An upgrade in the portal: the difference arrives at once, for the current period.
    portal(page, fake, watch)
    page.get_by_role("button", name="Switch to Pro (49.00 USD / month)").click()
    page.get_by_role("heading", name="Pro").wait_for()
    assert balance(owner, at=first_end + SECOND) == PRO_CREDITS
    assert balance(owner, at=second_end + SECOND) == 0
    upgrade = Purchase.objects.get(kind=PurchaseKind.UPGRADE)
    assert upgrade.credits == PRO_CREDITS - BASIC_CREDITS
    back_from_portal(page, watch)
    assert "Pro" in page.get_by_test_id("plan-name").inner_text()

    # A downgrade: nothing changes until the renewal, which is for the smaller plan.
    portal(page, fake, watch)
    page.get_by_role("button", name="Switch to Basic (19.00 USD / month)").click()
    page.get_by_text("Switches to Basic on").wait_for()
    assert balance(owner, at=first_end + SECOND) == PRO_CREDITS
    purchases = Purchase.objects.count()
    back_from_portal(page, watch)
    assert "Pro" in page.get_by_test_id("plan-name").inner_text()
    assert Purchase.objects.count() == purchases
    renew(page, fake)
    third_end = period_end(fake)
    assert balance(owner, at=second_end + SECOND) == BASIC_CREDITS
    watch.visit(reverse("billing_overview"))
    assert "Basic" in page.get_by_test_id("plan-name").inner_text()
    assert shown_renewal(page) == third_end

    # Cancelled at the period's end: the page says when it ends, and the credits stay.
    portal(page, fake, watch)
    page.get_by_role("button", name="Cancel at period end").click()
    page.get_by_text("Ends on").wait_for()
    back_from_portal(page, watch)
    assert page.get_by_test_id("plan-renewal").inner_text().startswith("Cancelled: it ends on")
    assert shown_renewal(page) == third_end
    assert balance(owner, at=second_end + SECOND) == BASIC_CREDITS
    assert balance(owner, at=third_end + SECOND) == 0
    assert confirmed_deliveries(fake)


def test_a_member_who_is_not_an_owner_cannot_reach_billing(
    watch, page, live_server, stripe_site, owner, django_user_model
):
    grace = django_user_model.objects.create_user(email="grace@example.com")
    team(owner, member=[grace])
    page.set_default_timeout(10_000)
    signed_in(page.context, live_server, grace)
    watch.visit(reverse("credits_overview"))
    menu = page.get_by_role("complementary", name="Account")
    # In her own organization she is its owner.
    assert menu.get_by_role("link", name="Billing").is_visible()

    page.get_by_test_id("organization-switcher").hover()
    page.get_by_role("button", name="Switch to Acme").click()
    page.get_by_text("You are now working in Acme.").wait_for()
    watch.check("switched to Acme")
    assert menu.get_by_role("link", name="Credits").is_visible()
    assert menu.get_by_role("link", name="Billing").count() == 0
    watch.visit(reverse("billing_overview"), status=403)

    watch.visit(reverse("pricing"))
    assert page.get_by_test_id("offer").count() == 3
    assert page.get_by_role("button", name="Buy credits").count() == 0
    assert page.get_by_role("button", name="Subscribe").count() == 0
    assert page.get_by_text("Only the owners of Acme can buy credits for it.").is_visible()


def test_pricing_and_billing_do_not_scroll_sideways_on_a_phone(
    watch, page, live_server, stripe_site, owner, membership
):
    from quickscale.apps.billing.models import Offer
    from quickscale.apps.billing.services import checkout_start

    fake = stripe_site
    fake.auto_deliver = False  # sent below, while nothing else asks the site
    for name in ("Basic", "Starter pack"):
        url = checkout_start(
            membership=membership,
            offer=Offer.objects.get(name=name, interval__in=["", "month"]),
            success_url=f"{live_server.url}/billing/success/?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{live_server.url}/billing/cancelled/",
        )
        fake.pay_checkout_session(url.rsplit("/", 1)[-1])
    fake.deliver_pending()
    assert confirmed_deliveries(fake)
    assert balance(owner) == BASIC_CREDITS + PACK_CREDITS
    signed_in(page.context, live_server, owner)
    page.set_viewport_size(PHONE)
    for name in ("pricing", "billing_overview"):
        watch.visit(reverse(name))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], name
    assert page.get_by_test_id("purchase").count() == 2
