"""An invitation's whole life in a real Chromium: the owner invites; the invitee signs up from
the link, verifies their address and accepts; in the team they make a key and spend the
team's credits through the API, see it on the team's usage page; removed, their key gets 401."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.orgs.models import Membership
from tests.apps.accounts.test_browser import last_link
from tests.apps.api.test_browser import call_api
from tests.apps.credits.test_browser import signed_in
from tests.apps.orgs.conftest import tokens_in
from tests.orgs import personal, team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "an unusual passphrase 7"


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_invite_sign_up_accept_spend_the_team_s_credits_and_lose_the_key_when_removed(
    page, live_server, ada
):
    acme = team(ada, "Acme")
    credits_grant(organization=acme, amount=50, kind="payg", idempotency_key="team-credits")
    owner = page.context
    signed_in(owner, live_server, ada)
    page.goto(reverse("account_overview"))
    page.get_by_test_id("organization-switcher").hover()
    page.get_by_role("button", name="Switch to Acme").click()
    page.get_by_text("You are now working in Acme.").wait_for()
    page.goto(reverse("organization_members"))
    page.get_by_label("E-mail address").fill("grace@example.com")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to grace@example.com.").wait_for()
    (token,) = tokens_in([m for m in mail.outbox if m.to == ["grace@example.com"]])

    # Grace, who has no account, opens the link, signs up from it and verifies her address.
    invitee = page.context.browser.new_context(base_url=live_server.url)
    grace = invitee.new_page()
    grace.goto(reverse("organization_invitation_accept", args=[token]))
    grace.get_by_role("link", name="Sign up").first.click()
    grace.get_by_label("Email", exact=True).fill("grace@example.com")
    grace.get_by_label("Password", exact=True).fill(PASSWORD)
    grace.get_by_label("Password (again)", exact=True).fill(PASSWORD)
    grace.get_by_role("button", name="Sign Up").click()
    grace.get_by_role("heading", name="Verify Your Email Address").wait_for()
    grace.goto(last_link("/accounts/confirm-email/"))
    grace.get_by_role("button", name="Confirm").click()
    grace.wait_for_load_state()

    # The invitation waited: she accepts, and the team becomes her current organization.
    grace.goto(reverse("organization_invitation_accept", args=[token]))
    grace.get_by_role("button", name="Accept the invitation").click()
    grace.wait_for_url("**/organizations/")
    membership = Membership.objects.get(organization=acme, user__email="grace@example.com")
    assert membership.role == "member"

    # A key of the team's, and a call that spends the team's credits, not her own.
    grace.goto(reverse("account_api_keys"))
    grace.get_by_label("Name").fill("team laptop")
    grace.get_by_role("button", name="Create key").click()
    secret = grace.get_by_label("Your new key")
    secret.wait_for()
    key = secret.input_value()
    status, body = call_api(live_server, key)
    assert status == 200, body
    assert body["balance"] == credit_balance_get(organization=acme).total < 50
    assert credit_balance_get(organization=personal(membership.user)).total == 0

    grace.goto(reverse("account_api_usage"))
    usage = grace.locator("main").inner_text()
    assert "text_statistics" in usage and key.split(".")[0] in usage

    # Removed by Ada (who is told the key will be revoked), the key no longer works.
    page.goto(reverse("organization_member_remove", args=[membership.pk]))
    assert "team laptop" in page.locator("main").inner_text()
    page.get_by_role("button", name="Remove member").click()
    page.get_by_text("grace@example.com was removed from Acme").wait_for()
    status, body = call_api(live_server, key)
    assert status == 401 and body["error"]["code"] == "revoked_key"
    # Her pages fall back to her personal organization.
    grace.goto(reverse("organization_members"))
    grace.get_by_role("heading", name="grace (personal)", exact=True).wait_for()
    invitee.close()
