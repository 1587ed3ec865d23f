"""Pages as a visitor's browser loads them."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["home", "account_login", "account_signup", "account_reset_password"]
SIGNED_IN_PAGES = ["account_overview", "account_email", "account_change_password"]


def hosts_requested(page, live_server, path: str) -> set[str]:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(path)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.ok, path
    return {urlsplit(url).netloc for url in requested if not url.startswith("data:")}


def test_no_page_loads_anything_from_another_host(page, live_server, django_user_model):
    own_host = urlsplit(live_server.url).netloc
    for name in PUBLIC_PAGES:
        assert hosts_requested(page, live_server, reverse(name)) == {own_host}, name
    client = Client()
    client.force_login(django_user_model.objects.create_user(email="ada@example.com"))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    for name in SIGNED_IN_PAGES:
        assert hosts_requested(page, live_server, reverse(name)) == {own_host}, name


def test_the_profile_form_saves_in_place_through_htmx(page, live_server, django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com", password="pw-unusual-1")
    page.goto(reverse("account_login"))
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("pw-unusual-1")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/account/")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert navigations == []  # the form was swapped in place, the page did not reload
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"


def test_the_menu_opens_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(reverse("home"))
    menu_link = page.locator("#main-menu").get_by_role("link", name="Home")
    assert not menu_link.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert menu_link.is_visible()


def log_in_to_account(page, django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com", password="pw-unusual-1")
    page.goto(reverse("account_login"))
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("pw-unusual-1")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/account/")
    return user


def test_an_invalid_profile_shows_its_error_in_place(page, live_server, django_user_model):
    user = log_in_to_account(page, django_user_model)
    page.get_by_label("Name").evaluate(
        "field => { field.removeAttribute('maxlength'); field.value = 'x'.repeat(151); }"
    )
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("at most 150 characters").wait_for()
    assert page.get_by_role("navigation", name="Main navigation").is_visible()
    assert page.locator("#profile-form").count() == 1
    user.refresh_from_db()
    assert user.name == ""


def test_an_expired_session_takes_the_whole_page_to_log_in(page, live_server, django_user_model):
    log_in_to_account(page, django_user_model)
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.get_by_label("Name").fill("Ada")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("main").count() == 1
    assert page.get_by_role("heading", name="Sign In").is_visible()


def test_a_refused_background_request_says_so(page, live_server, django_user_model):
    log_in_to_account(page, django_user_model)
    page.context.clear_cookies()  # the CSRF cookie too: the POST is refused with 403
    page.get_by_label("Name").fill("Ada")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("alert").filter(has_text="refused (403)").wait_for()
    assert page.locator("#profile-form").count() == 1
