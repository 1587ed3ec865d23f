"""Signing up with a registered address looks, and costs, the same as with a new one.

The cost is compared by the work done (a password hash, one e-mail), not by a clock:
benchmarks/signup_timing.py measures the time.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "an unusual passphrase 42"
KNOWN = "ada@example.com"
NEW = "grace@example.com"
CSRF_TOKEN = re.compile(r"[A-Za-z0-9]{64}")


class CountingHasher(MD5PasswordHasher):
    """The project's first hasher, counting the hashes it computes."""

    algorithm = "counting_md5"
    computed = 0

    def encode(self, password, salt):
        type(self).computed += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def _counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    get_user_model().objects.create_user(email=KNOWN, password=PASSWORD)
    mail.outbox.clear()
    CountingHasher.computed = 0


def sign_up(client, email):
    """The response, the e-mails sent and the hashes computed while answering it."""
    before_mail, before_hashes = len(mail.outbox), CountingHasher.computed
    response = client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    return response, mail.outbox[before_mail:], CountingHasher.computed - before_hashes


def test_a_known_and_a_new_address_get_the_same_answer(client, django_user_model):
    known, _, _ = sign_up(client, KNOWN)
    new, _, _ = sign_up(client.__class__(), NEW)
    assert known.status_code == new.status_code == 302
    assert known["Location"] == new["Location"] == reverse("account_email_verification_sent")
    assert known.content == new.content
    assert django_user_model.objects.filter(email=NEW).exists()
    assert django_user_model.objects.count() == 2


def test_the_pages_that_follow_differ_only_by_the_address(client):
    known = client.post(
        reverse("account_signup"),
        {"email": KNOWN, "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    new = client.__class__().post(
        reverse("account_signup"),
        {"email": NEW, "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert known.redirect_chain == new.redirect_chain
    assert page_without(known, KNOWN) == page_without(new, NEW)


def page_without(response, email):
    # Each visitor has a CSRF token of their own.
    return CSRF_TOKEN.sub("TOKEN", response.content.decode().replace(email, "@"))


def test_both_paths_hash_the_password_once_and_send_one_e_mail(client):
    _, known_mail, known_hashes = sign_up(client, KNOWN)
    _, new_mail, new_hashes = sign_up(client.__class__(), NEW)
    assert known_hashes == new_hashes == 1
    assert [m.to for m in known_mail] == [[KNOWN]]
    assert [m.to for m in new_mail] == [[NEW]]
    # Both went out the same way: through the configured backend, before the answer.
    assert "already" in known_mail[0].body.lower()
    assert reverse("account_confirm_email", args=["KEY"]).split("KEY")[0] in new_mail[0].body


def test_the_known_path_hashes_even_when_its_e_mail_is_held_back_by_the_cooldown(client):
    first, first_mail, _ = sign_up(client, KNOWN)
    again, again_mail, again_hashes = sign_up(client.__class__(), KNOWN)
    assert len(first_mail) == 1 and again_mail == []
    assert again_hashes == 1
    assert again.status_code == first.status_code and again["Location"] == first["Location"]


def test_an_invalid_sign_up_hashes_nothing_for_either_address(client):
    for email in (KNOWN, NEW):
        response = client.post(
            reverse("account_signup"), {"email": email, "password1": "a", "password2": "b"}
        )
        assert response.status_code == 200
    assert CountingHasher.computed == 0
    assert mail.outbox == []
