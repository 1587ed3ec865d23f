"""API keys in a real Chromium: create one, see its secret once, spend credits with it over
HTTP, see the call and the debit, revoke it, and be refused."""

import json
import re
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from quickscale.apps.credits.services import credits_grant
from tests.apps.credits.test_browser import signed_in
from tests.orgs import personal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKEN = re.compile(r"[A-Za-z0-9]{4}\.[A-Za-z0-9]{32}")


@pytest.fixture
def customer(django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com")
    credits_grant(
        organization=personal(user),
        amount=10,
        kind="payg",
        idempotency_key="pack",
        description="starter pack",
    )
    return user


def menu(page):
    return page.get_by_role("complementary", name="Account")


def call_api(live_server, token, service="text_statistics"):
    """A program calling the API with the key: the status and the JSON body."""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/services/{service}/run",
        data=json.dumps({"text": "QuickScale is great."}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_key_from_creation_to_revocation(page, live_server, customer):
    signed_in(page.context, live_server, customer)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(reverse("account_api_keys"))
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("Your new key")
    secret.wait_for()
    token = secret.input_value()
    assert TOKEN.fullmatch(token)
    row = page.locator("#api-key-list tbody tr", has_text="laptop")
    prefix = token.split(".")[0]
    assert f"{prefix}…" in row.inner_text() and "Active" in row.inner_text()

    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert page.evaluate("window.stillTheSamePage") is True

    page.reload()
    assert not TOKEN.search(page.content())
    assert page.get_by_label("Your new key").count() == 0
    assert f"{prefix}…" in page.locator("#api-key-list").inner_text()

    status, body = call_api(live_server, token)
    assert status == 200, body
    assert (body["cost"], body["balance"], body["result"]["words"]) == (1, 9, 3)

    menu(page).get_by_role("link", name="Usage").click()
    page.wait_for_url(re.compile(r"/account/api/usage/$"))
    usage = page.locator("#api-usage tbody tr").first.inner_text()
    assert "text_statistics" in usage and "Succeeded" in usage and f"{prefix}…" in usage

    menu(page).get_by_role("link", name="Credits").click()
    assert page.get_by_test_id("balance-total").inner_text() == "9"
    newest = page.locator("#credit-ledger tbody tr").first.inner_text()
    assert "text_statistics" in newest and "-1" in newest

    menu(page).get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Revoke laptop").click()
    page.get_by_text("This cannot be undone.").wait_for()
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("was revoked").wait_for()
    assert "Revoked" in page.locator("#api-key-list tbody tr", has_text="laptop").inner_text()

    status, body = call_api(live_server, token)
    assert (status, body["error"]["code"]) == (401, "revoked_key")


def test_without_a_clipboard_the_key_is_selected_for_copying(page, live_server, customer):
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    signed_in(page.context, live_server, customer)
    page.goto(reverse("account_api_keys"))
    page.get_by_label("Name").fill("server")
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Selected: press Ctrl+C").wait_for()
    selected = page.evaluate(
        "(() => { const i = document.getElementById('new-api-key');"
        " return i.value.substring(i.selectionStart, i.selectionEnd); })()"
    )
    assert TOKEN.fullmatch(selected)


def test_keys_are_created_and_revoked_without_javascript(browser, live_server, customer):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    signed_in(context, live_server, customer)
    page = context.new_page()
    page.goto(reverse("account_api_keys"))
    page.get_by_label("Name").fill("cron job")
    page.get_by_role("button", name="Create key").click()
    token = page.get_by_label("Your new key").input_value()
    assert TOKEN.fullmatch(token)
    assert not page.get_by_role("button", name="Copy").is_visible()
    assert call_api(live_server, token)[0] == 200

    page.goto(reverse("account_api_keys"))
    page.get_by_role("link", name="Revoke cron job").click()
    page.wait_for_url(re.compile(r"/revoke/$"))
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("was revoked").wait_for()
    assert call_api(live_server, token)[0] == 401
    context.close()
