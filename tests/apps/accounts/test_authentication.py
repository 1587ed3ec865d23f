import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "an unusual passphrase 42"


def production_setting(project_dir, name: str) -> str:
    """Read a setting the way the generated project computes it with DEBUG off."""
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DEBUG": "False",
        "SECRET_KEY": "k" * 10 + "production-setting-probe-0123456789abcdefghij",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import testproject.settings as s; print(s.{name})"],
        cwd=project_dir,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def sign_up(client, email="ada@example.com"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_sign_up_needs_only_an_email_and_a_password(client):
    response = sign_up(client)
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert user.email == "ada@example.com"
    assert user.check_password(PASSWORD)


def test_production_settings_require_a_verified_email_before_log_in(client, test_project_dir):
    verification = production_setting(test_project_dir, "ACCOUNT_EMAIL_VERIFICATION")
    assert verification == "mandatory"
    with override_settings(ACCOUNT_EMAIL_VERIFICATION=verification):
        response = sign_up(client)
        assert response["Location"] == reverse("account_email_verification_sent")
        assert len(mail.outbox) == 1
        client.logout()
        response = client.post(
            reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("account_email_verification_sent")
        assert "_auth_user_id" not in client.session
        assert not EmailAddress.objects.get().verified


def test_development_settings_let_people_in_before_they_verify(client):
    with override_settings(ACCOUNT_EMAIL_VERIFICATION="optional"):
        sign_up(client)
        assert "_auth_user_id" in client.session


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    wrong_password = client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": "not it at all"}
    )
    unknown_email = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "not it at all"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert wrong_password.context["form"].errors == unknown_email.context["form"].errors
    assert wrong_password.context["form"].errors


def test_password_reset_answers_the_same_for_unknown_addresses(client):
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    known = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_repeated_failed_log_ins_lock_the_account_for_a_while(client):
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "ada@example.com", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


PROXY = "10.0.0.2"


def log_in_from(client, address, email, password, *, remote=PROXY):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_behind_a_proxy_failed_log_ins_of_one_client_do_not_lock_out_another(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    for index in range(10):
        log_in_from(client, "203.0.113.10", f"made-up-{index}@example.com", "wrong")
    refused = log_in_from(client, "203.0.113.10", "ada@example.com", PASSWORD)
    assert "Too many failed login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another customer behind the same proxy: same REMOTE_ADDR, their own address in the header.
    other = client_class_for(client)()
    response = log_in_from(other, "198.51.100.20", "ada@example.com", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in other.session


def test_with_no_trusted_proxy_a_forged_x_forwarded_for_does_not_escape_the_limit(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    for index in range(10):
        log_in_from(
            client,
            f"192.0.2.{index}",
            f"made-up-{index}@example.com",
            "wrong",
            remote="203.0.113.10",
        )
    refused = log_in_from(client, "192.0.2.200", "ada@example.com", PASSWORD, remote="203.0.113.10")
    assert "Too many failed login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def client_class_for(client):
    return type(client)


def test_one_client_can_sign_up_ten_times_a_minute_then_gets_the_project_s_429_page(
    client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for index in range(10):
        response = client.post(
            reverse("account_signup"),
            {"email": f"new-{index}@example.com", "password1": PASSWORD, "password2": PASSWORD},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.10",
        )
        assert response.status_code == 302
        client.logout()
    refused = client.post(
        reverse("account_signup"),
        {"email": "one-more@example.com", "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode() and "<main" in refused.content.decode()
    assert not get_user_model().objects.filter(email="one-more@example.com").exists()
    other = client_class_for(client)().post(
        reverse("account_signup"),
        {"email": "other@example.com", "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert other.status_code == 302


def test_an_address_gets_at_most_five_password_reset_e_mails_however_many_clients_ask(
    client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    get_user_model().objects.create_user(email="ada@example.com", password=PASSWORD)
    mail.outbox.clear()
    statuses = [
        client_class_for(client)()
        .post(
            reverse("account_reset_password"),
            {"email": "ada@example.com"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index}",
        )
        .status_code
        for index in range(8)
    ]
    assert statuses == [302] * 5 + [429] * 3
    assert len(mail.outbox) == 5
