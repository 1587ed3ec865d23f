"""The admin's log-in is allauth's: its rate limits cover the admin, and only staff get in."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "an unusual passphrase 42"
WRONG = "not the passphrase at all"


@pytest.fixture
def staff():
    user = get_user_model().objects.create_user(
        email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def customer():
    user = get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def admin_login_post(client, email, password):
    return client.post(
        reverse("admin:login") + "?next=" + reverse("admin:index"),
        {"username": email, "password": password, "next": reverse("admin:index")},
    )


def allauth_login_post(client, email, password, next_url):
    return client.post(
        reverse("account_login") + "?next=" + next_url,
        {"login": email, "password": password, "next": next_url},
    )


def test_the_admin_login_page_sends_visitors_to_allauth_s_login_with_next(client):
    response = client.get(reverse("admin:login") + "?next=/admin/quickscale_accounts/user/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == ["/admin/quickscale_accounts/user/"]


def test_an_admin_page_sends_visitors_through_allauth_and_back(client, staff):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    next_url = parse_qs(urlsplit(response.redirect_chain[-1][0]).query)["next"][0]
    assert next_url == reverse("admin:index")
    response = allauth_login_post(client, staff.email, PASSWORD, next_url)
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_login_form_no_longer_checks_passwords(client, staff):
    for _ in range(40):
        admin_login_post(client, staff.email, WRONG)
    response = admin_login_post(client, staff.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_login")


def test_repeated_wrong_passwords_for_the_admin_are_refused_by_the_limit(client, staff):
    next_url = reverse("admin:index")
    for _ in range(5):
        refused = allauth_login_post(client, staff.email, WRONG, next_url)
        assert refused.status_code == 200
    response = allauth_login_post(client, staff.email, PASSWORD, next_url)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_staff_user_reaches_the_admin_after_logging_in_through_allauth(client, staff):
    response = allauth_login_post(client, staff.email, PASSWORD, reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "Site administration" in index.content.decode()
    # Already signed in: the admin's login page lets staff through instead of looping.
    again = client.get(reverse("admin:login") + "?next=" + reverse("admin:index"))
    assert again.status_code == 302 and again["Location"] == reverse("admin:index")


def test_a_customer_who_logs_in_cannot_reach_the_admin(client, customer):
    response = allauth_login_post(client, customer.email, PASSWORD, reverse("admin:index"))
    assert "_auth_user_id" in client.session
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
    assert "Site administration" not in response.content.decode()
    assert client.get(reverse("admin:quickscale_accounts_user_changelist")).status_code in (
        302,
        403,
    )
    final = client.get(reverse("admin:quickscale_accounts_user_changelist"), follow=True)
    assert final.status_code == 403


def test_the_admin_logout_still_logs_staff_out(client, staff):
    allauth_login_post(client, staff.email, PASSWORD, reverse("admin:index"))
    assert client.get(reverse("admin:index")).status_code == 200
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert "Logged out" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def every_admin_page():
    from django.apps import apps
    from django.contrib import admin

    names = ["admin:index", "admin:password_change", "admin:password_change_done", "admin:jsi18n"]
    pages = [reverse(name) for name in names]
    for model in filter(admin.site.is_registered, apps.get_models()):
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        pages.append(reverse("admin:app_list", args=[meta.app_label]))
    pages += [
        reverse(f"quickscale_admin_ui:{name}")
        for name in ("sync_back", "sync_back_diff", "sync_back_confirm", "sync_back_apply")
    ]
    pages.append(reverse("admin:index") + "no-such-page/")
    return sorted(set(pages))


def test_every_admin_page_sends_a_visitor_to_allauth_s_login_and_never_asks_a_password(
    client, settings
):
    settings.DEBUG = True  # the sync-back panel's pages exist in development only
    pages = every_admin_page()
    assert len(pages) > 10
    for page in pages:
        response = client.get(page, follow=True)
        final = urlsplit(response.redirect_chain[-1][0]) if response.redirect_chain else None
        assert final is not None and final.path == reverse("account_login"), page
        assert 'name="username"' not in response.content.decode(), page
