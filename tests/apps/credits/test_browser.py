"""The credit page's history in a real Chromium: HTMX fragments, and the same without JavaScript."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from quickscale.apps.credits import services
from tests.orgs import personal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com")
    services.credits_grant(
        organization=personal(user),
        amount=500,
        kind="payg",
        idempotency_key="pack",
        description="starter pack",
    )
    for index in range(30):
        services.credits_consume(
            organization=personal(user),
            amount=2,
            idempotency_key=f"call-{index}",
            description=f"call {index}",
        )
    return user


def signed_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def descriptions(page):
    return page.locator("#credit-ledger tbody tr td:nth-child(2)").all_inner_texts()


def test_the_history_pages_and_filters_in_place(page, live_server, history):
    signed_in(page.context, live_server, history)
    page.goto(reverse("credits_overview"))
    assert page.get_by_test_id("balance-total").inner_text() == "440"
    assert descriptions(page)[0].endswith("call 29")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("link", name="Older").click()
    page.wait_for_url(re.compile(r"before=\d+"))
    page.get_by_text("starter pack").wait_for()
    assert len(descriptions(page)) == 6

    page.get_by_role("link", name="Newer").click()
    page.wait_for_url(re.compile(r"after=\d+"))
    page.get_by_text("call 29").wait_for()

    page.get_by_label("Show").select_option("grant")
    page.wait_for_url(re.compile(r"kind=grant"))
    page.wait_for_function("document.querySelectorAll('#credit-ledger tbody tr').length === 1")
    assert descriptions(page) == ["Grant starter pack"]
    assert page.evaluate("window.stillTheSamePage") is True


def test_the_history_works_without_javascript(browser, live_server, history):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    signed_in(context, live_server, history)
    page = context.new_page()
    page.goto(reverse("credits_overview"))
    page.get_by_role("link", name="Older").click()
    page.get_by_text("starter pack").wait_for()
    page.get_by_label("Show").select_option("debit")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"kind=debit"))
    assert all("Debit" in text for text in descriptions(page))
    context.close()
