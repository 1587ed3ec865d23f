"""The sync-back panel in a real Chromium."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from tests.syncback.helpers import edit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSS = "static/css/app.css"
HOME = "templates/pages/home.html"


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def changed(project):
    edit(project / CSS, "gap: 0.5rem;", "gap: 1rem;")
    edit(project / HOME, "Everything an API product needs", "All an API product needs")
    return project


def test_a_superuser_reviews_and_applies_one_of_two_files(page, live_server, changed, template):
    home_before = (template / HOME).read_bytes()
    sign_in(page, live_server, get_user_model().objects.create_superuser(email="root@example.com"))
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        page.goto(reverse("quickscale_admin_ui:sync_back"))
        rows = page.locator("#sync-back-files tbody tr")
        rows.filter(has_text=CSS).get_by_role("button", name="Show diff").click()
        page.locator(f'.qs-diff[data-file="{CSS}"] table.diff').wait_for()
        page.get_by_label(f"Apply {HOME}").uncheck()
        page.get_by_role("button", name="Review and apply the selected files").click()
        page.get_by_text("1 file(s) of the template").wait_for()
        page.get_by_role("button", name="Apply 1 file(s)").click()
        page.locator("#sync-back-written").wait_for()
        assert page.locator("#sync-back-written li").all_inner_texts() == [CSS]
    assert "gap: 1rem;" in (template / CSS).read_text()
    assert (template / HOME).read_bytes() == home_before


def test_a_staff_user_who_is_not_a_superuser_is_refused(page, live_server, changed, template):
    staff = get_user_model().objects.create_user(email="staff@example.com", is_staff=True)
    sign_in(page, live_server, staff)
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        response = page.goto(reverse("quickscale_admin_ui:sync_back"))
    assert response.status == 403
    assert page.locator("#sync-back-files").count() == 0


def test_with_debug_off_a_superuser_finds_no_panel_even_from_a_checkout(
    page, live_server, changed, template
):
    sign_in(page, live_server, get_user_model().objects.create_superuser(email="root@example.com"))
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=False):
        page.goto(reverse("admin:index"))
        assert page.get_by_role("link", name="Sync-back").count() == 0
        response = page.goto(reverse("quickscale_admin_ui:sync_back"))
        assert response.status == 404
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        page.goto(reverse("admin:index"))
        page.get_by_role("link", name="Sync-back").click()
        page.locator("#sync-back-files").wait_for()
