"""The organization pages in a real Chromium, under the Content-Security-Policy: the switcher,
a team's creation, its members and invitations through htmx, and an invitation's link."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from quickscale.apps.orgs.models import Invitation, Membership, Organization
from tests.apps.credits.test_browser import signed_in
from tests.apps.orgs.conftest import tokens_in
from tests.test_csp_browser import PolicyWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watch(page, live_server):
    return PolicyWatch(page, live_server)


def test_a_team_from_creation_to_a_removed_member(watch, page, live_server, ada, make_user):
    grace = make_user("grace@example.com")
    signed_in(page.context, live_server, ada)

    # Create a team from the switcher's link; it becomes the current organization.
    watch.visit(reverse("account_overview"))
    page.get_by_test_id("organization-switcher").hover()
    page.get_by_role("link", name="Create a team").click()
    page.get_by_role("textbox", name="Name").fill("Acme")
    page.get_by_role("button", name="Create team").click()
    page.wait_for_url("**/organizations/")
    watch.check("creating a team")
    assert page.get_by_role("heading", name="Acme", exact=True).is_visible()

    # Invite, send again and withdraw through htmx.
    page.get_by_label("E-mail address").fill("grace@example.com")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to grace@example.com.").wait_for()
    page.get_by_role("button", name="Send the invitation to grace@example.com again").click()
    page.get_by_text("the earlier link no longer works").wait_for()
    watch.check("inviting and sending again")
    page.get_by_label("E-mail address").fill("hal@example.com")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_role("button", name="Withdraw the invitation to hal@example.com").click()
    page.get_by_text("The invitation to hal@example.com was withdrawn").wait_for()
    watch.check("withdrawing an invitation")

    # Grace opens the newest link and accepts.
    token = tokens_in([m for m in mail.outbox if m.to == ["grace@example.com"]])[-1]
    page.context.clear_cookies()
    signed_in(page.context, live_server, grace)
    watch.visit(reverse("organization_invitation_accept", args=[token]))
    page.get_by_role("button", name="Accept the invitation").click()
    page.wait_for_url("**/organizations/")
    watch.check("accepting")
    acme = Organization.objects.get(name="Acme")
    assert Membership.objects.get(organization=acme, user=grace).role == "admin"
    watch.visit(reverse("organization_invitation_accept", args=[token]), status=410)

    # Back as Ada: rename, change Grace's role, then remove her.
    page.context.clear_cookies()
    signed_in(page.context, live_server, ada)
    watch.visit(reverse("organization_members"))
    page.get_by_test_id("organization-switcher").hover()
    page.get_by_role("button", name="Switch to Acme").click()
    page.get_by_text("You are now working in Acme.").wait_for()
    page.get_by_role("textbox", name="Name").fill("Acme Labs")
    page.get_by_role("button", name="Rename").click()
    page.get_by_role("heading", name="Acme Labs", exact=True).wait_for()
    watch.check("renaming")
    page.get_by_label("Role of grace@example.com", exact=True).select_option("member")
    page.get_by_role("button", name="Change the role of grace@example.com").click()
    page.get_by_text("grace@example.com is now member.").wait_for()
    watch.check("changing a role")
    page.get_by_role("link", name="Remove grace@example.com").click()
    page.get_by_text("made no active API key").wait_for()
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Remove grace@example.com").wait_for()
    watch.check("cancelling a removal")
    member = Membership.objects.get(organization=acme, user=grace)
    watch.visit(reverse("organization_member_remove", args=[member.pk]))  # without htmx
    watch.visit(reverse("organization_members"))
    page.get_by_role("link", name="Remove grace@example.com").click()
    page.get_by_role("button", name="Remove member").click()
    page.get_by_text("grace@example.com was removed from Acme Labs").wait_for()
    watch.check("removing a member")
    assert not Membership.objects.filter(organization=acme, user=grace).exists()


def test_switching_organizations_from_the_navigation(watch, page, live_server, ada, acme):
    signed_in(page.context, live_server, ada)
    watch.visit(reverse("credits_overview"))
    switcher = page.get_by_test_id("organization-switcher")
    switcher.hover()
    switcher.get_by_role("button", name="Switch to Acme").click()
    page.wait_for_url(re.compile(r"/account/credits/$"))
    page.get_by_text("You are now working in Acme.").wait_for()
    watch.check("switching")
    assert page.get_by_role("link", name="Organization: Acme").is_visible()


def test_an_invitation_for_another_address_says_which_to_verify(
    watch, page, live_server, ada, acme, bob, django_capture_on_commit_callbacks
):
    from quickscale.apps.orgs.invitations import invitation_send

    invitation_send(
        membership=Membership.objects.get(organization=acme, user=ada),
        email="grace@example.com",
        role="member",
        base_url=live_server.url,
    )
    [token] = tokens_in(mail.outbox)
    link = reverse("organization_invitation_accept", args=[token])
    watch.visit(link)  # signed out: log in or sign up
    assert (
        page.locator("#main")
        .get_by_role("link", name="Sign up")
        .get_attribute("href")
        .endswith("next=" + link.replace("/", "%2F"))
    )
    signed_in(page.context, live_server, bob)
    watch.visit(link, status=403)
    assert page.get_by_test_id("invitation-verify").is_visible()
    assert Invitation.objects.get().accepted_at is None
