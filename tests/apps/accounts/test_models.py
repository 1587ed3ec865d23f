import builtins

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_users_have_no_username_and_sign_in_with_their_email():
    User = get_user_model()
    assert User.USERNAME_FIELD == "email"
    assert not any(field.name == "username" for field in User._meta.get_fields())


def test_email_addresses_are_stored_in_lower_case():
    user = get_user_model().objects.create_user(email="  Ada@Example.COM ", password="x")
    assert user.email == "ada@example.com"


def test_the_same_address_in_another_case_is_refused():
    User = get_user_model()
    User.objects.create_user(email="ada@example.com", password="x")
    with pytest.raises(ValidationError):
        User.objects.create_user(email="ADA@example.com", password="y")
    assert User.objects.count() == 1


def test_natural_key_lookup_ignores_case():
    User = get_user_model()
    user = User.objects.create_user(email="ada@example.com", password="x")
    assert User.objects.get_by_natural_key("Ada@Example.com") == user


def test_createsuperuser_asks_for_an_email_and_a_password_only(monkeypatch):
    prompts: list[str] = []
    answers = iter(["Root@Example.com"])

    def fake_input(prompt=""):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.createsuperuser.getpass.getpass",
        lambda prompt="Password: ": prompts.append(prompt) or "a long and unusual passphrase",
    )
    call_command("createsuperuser", interactive=True, stdout=None, stdin=None)
    assert [p.split(":")[0].strip().lower() for p in prompts] == [
        "e-mail address",
        "password",
        "password (again)",
    ]
    user = get_user_model().objects.get()
    assert user.email == "root@example.com" and user.is_superuser


def test_display_names_fall_back_to_the_email():
    user = get_user_model()(email="ada@example.com")
    assert user.get_full_name() == "ada@example.com"
    user.name = "Ada Lovelace"
    assert user.get_short_name() == "Ada"
