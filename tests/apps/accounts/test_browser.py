"""The whole account life cycle in a real Chromium, against a live server."""

import re

import pytest
from django.core import mail
from django.test import override_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "grace@example.com"
FIRST_PASSWORD = "first unusual passphrase 1"
NEW_PASSWORD = "second unusual passphrase 2"
LINK = re.compile(r"https?://\S+")


def last_link(path_part: str) -> str:
    for message in reversed(mail.outbox):
        for link in LINK.findall(message.body):
            if path_part in link:
                return link
    raise AssertionError(f"no e-mail holds a link to {path_part}")


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))


def login_error(page) -> str:
    return page.locator("form [role=alert], form .is-danger").all_inner_texts()


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_sign_up_verify_log_out_log_in_and_reset_the_password(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("Password (again)", exact=True).fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()

    page.goto(last_link("/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/")
    assert page.get_by_test_id("signed-in-as").inner_text() == EMAIL

    log_out(page)
    assert page.get_by_role("link", name="Log in").first.is_visible()

    log_in(page, EMAIL, FIRST_PASSWORD)
    page.wait_for_url("**/account/")
    log_out(page)

    page.goto("/accounts/password/reset/")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_role("button", name="Reset My Password").click()
    page.get_by_role("heading", name="Password Reset").wait_for()
    page.goto(last_link("/accounts/password/reset/key/"))
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    page.get_by_text("Your password is now changed.").wait_for()

    log_in(page, EMAIL, FIRST_PASSWORD)
    assert "/accounts/login/" in page.url
    log_in(page, EMAIL, NEW_PASSWORD)
    page.wait_for_url("**/account/")
    assert page.get_by_test_id("signed-in-as").inner_text() == EMAIL


def test_wrong_password_and_unknown_email_look_the_same(page, django_user_model):
    django_user_model.objects.create_user(email=EMAIL, password=FIRST_PASSWORD)
    log_in(page, EMAIL, "not the password")
    wrong_password = login_error(page)
    log_in(page, "nobody@example.com", "not the password")
    unknown_email = login_error(page)
    assert wrong_password and wrong_password == unknown_email
