"""E-mail addresses have at most 254 characters (RFC 5321) on every face that takes one, and an
address taken between a sign-up's check and its save is a form error, not a 500.

Before: a 300-character address was stored cut to 254 characters (an address nobody can
verify), and a second one sharing those 254 characters was a 500 IntegrityError."""

import io
import threading

import pytest
from allauth.account.forms import ChangeEmailForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.signals import pre_save
from django.test import Client, override_settings
from django.urls import reverse

from quickscale.apps.accounts.validators import EMAIL_MAX_LENGTH

pytestmark = pytest.mark.django_db

PASSWORD = "an unusual passphrase 42"
User = get_user_model()


def address(length, ending="com", tag="a"):
    """A valid address of exactly `length` characters: a 64-character local part (RFC 5321's
    most), then 60-character labels; two addresses with other endings share all but their end."""
    local = tag * 64
    tail = "." + ending
    labels, size = [], len(local) + 1 + len(tail)
    while size + 61 <= length:
        labels.append("d" * 60)
        size += 61
    labels.append("e" * (length - size))
    result = local + "@" + ".".join(labels) + tail
    assert len(result) == length, len(result)
    return result


def sign_up(client, email):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def assert_refused_for_length(response, field="email"):
    assert response.status_code == 200, response.status_code
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert str(EMAIL_MAX_LENGTH) in errors, response.context["form"].errors


def test_the_maximum_is_rfc_5321_s():
    assert EMAIL_MAX_LENGTH == 254
    assert User._meta.get_field("email").max_length == EMAIL_MAX_LENGTH
    assert EmailAddress._meta.get_field("email").max_length == EMAIL_MAX_LENGTH


@pytest.mark.parametrize("verification", ["optional", "mandatory"])
def test_sign_up_refuses_an_address_over_254_characters_and_stores_nothing(client, verification):
    with override_settings(ACCOUNT_EMAIL_VERIFICATION=verification):
        for email in (address(255), address(300), address(300, "org")):
            assert_refused_for_length(sign_up(client, email))
    assert not User.objects.exists() and not EmailAddress.objects.exists()
    assert not mail.outbox


def test_sign_up_keeps_an_address_of_254_characters_whole(client):
    email = address(254)
    assert sign_up(client, email).status_code == 302
    assert User.objects.get().email == email
    assert EmailAddress.objects.get().email == email


def test_the_sign_up_form_tells_the_browser_the_limit(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert f'maxlength="{EMAIL_MAX_LENGTH}"' in html


def test_adding_an_address_over_254_characters_is_refused(client):
    user = User.objects.create_user(email="ada@example.com", password=PASSWORD)
    client.force_login(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": address(255)})
    assert_refused_for_length(response)
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_in_one_address_mode_changing_to_an_address_over_254_characters_is_refused(
    client, settings
):
    settings.ACCOUNT_CHANGE_EMAIL = True  # allauth's one-address mode: change instead of add
    user = User.objects.create_user(email="ada@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email="ada@example.com", verified=True, primary=True)
    client.force_login(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": address(255)})
    assert_refused_for_length(response)
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_allauth_s_change_of_address_form_refuses_an_address_over_254_characters():
    # Used by verification by code and by allauth's headless API.
    form = ChangeEmailForm(data={"email": address(255)}, email="ada@example.com")
    assert not form.is_valid()
    assert str(EMAIL_MAX_LENGTH) in " ".join(form.errors["email"])


def test_password_reset_refuses_an_address_over_254_characters_and_sends_nothing(client):
    response = client.post(reverse("account_reset_password"), {"email": address(300)})
    assert_refused_for_length(response)
    assert not mail.outbox


def test_log_in_with_an_address_over_254_characters_is_a_form_error(client):
    response = client.post(reverse("account_login"), {"login": address(300), "password": "x"})
    assert response.status_code == 200 and response.context["form"].errors


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x"))
    return client


def test_the_admin_refuses_a_new_user_with_an_address_over_254_characters(admin_client):
    response = admin_client.post(
        reverse("admin:quickscale_accounts_user_add"),
        {"email": address(255), "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "at most 254" in response.content.decode()
    assert User.objects.count() == 1


def test_the_admin_refuses_changing_an_address_to_one_over_254_characters(admin_client):
    user = User.objects.create_user(email="ada@example.com")
    url = reverse("admin:quickscale_accounts_user_change", args=[user.pk])
    response = admin_client.post(
        url, {"email": address(255), "name": "", "is_active": "on", "date_joined_0": "2030-01-01"}
    )
    assert response.status_code == 200 and "at most 254" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_the_admin_api_key_form_refuses_an_address_over_254_characters(admin_client):
    response = admin_client.post(
        reverse("admin:quickscale_keys_apikey_add"), {"user": address(255), "name": "k"}
    )
    assert response.status_code == 200 and "at most 254" in response.content.decode()


def test_createsuperuser_refuses_an_address_over_254_characters():
    with pytest.raises(CommandError, match="254"):
        call_command("createsuperuser", "--noinput", "--email", address(255), stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.mark.parametrize("email", [address(255), "not an address"])
def test_the_demo_command_refuses_a_bad_address_with_a_message(settings, email):
    settings.DEBUG = True
    with pytest.raises(CommandError) as refused:
        call_command("quickscale_demo", "--email", email, stdout=io.StringIO())
    assert "address" in str(refused.value)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["quickscale_credits", "balance", "--user"],
        ["quickscale_credits", "grant", "--amount", "1", "--kind", "payg", "--user"],
        ["quickscale_api_keys", "create", "--name", "k", "--user"],
        ["quickscale_api_keys", "list", "--user"],
    ],
)
def test_commands_say_an_address_over_254_characters_cannot_be_anyone_s(command):
    with pytest.raises(CommandError, match="at most 254 characters"):
        call_command(*command, address(300), stdout=io.StringIO(), stderr=io.StringIO())


# The duplicate race: another sign-up takes the address between this one's check and its save.


def request_for(rf):
    request = rf.post(reverse("account_signup"))
    SessionMiddleware(lambda r: None).process_request(request)
    request.session.save()
    request._messages = FallbackStorage(request)
    request.user = AnonymousUser()
    return request


def validated_signup(email):
    from quickscale.apps.accounts.forms import SignupForm

    form = SignupForm({"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert isinstance(form, AllauthSignupForm)
    assert form.is_valid(), form.errors
    return form


def test_an_address_taken_between_check_and_save_is_a_form_error(rf, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    form = validated_signup("ada@example.com")
    User.objects.create_user(email="ada@example.com", password="the other sign-up")
    with pytest.raises(ImmediateHttpResponse) as answered:
        form.try_save(request_for(rf))
    response = answered.value.response.render()
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert form.errors["email"]
    assert User.objects.count() == 1 and not EmailAddress.objects.exists()


def test_with_mandatory_verification_the_race_answers_as_any_known_address_does(rf, settings):
    """Enumeration prevention: the loser gets the same 'check your e-mail' answer as a sign-up
    with an address known beforehand, and the owner an 'account already exists' e-mail."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    form = validated_signup("ada@example.com")
    User.objects.create_user(email="ada@example.com", password="the other sign-up")
    request = request_for(rf)
    with context.request_context(request):  # as allauth's middleware sets it for a request
        user, response = form.try_save(request)
    assert user is None
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert User.objects.count() == 1


def concurrently(*requests):
    """Run each (client, method, path, data) in its own thread, with its own database connection,
    and hold every new user's INSERT until all of them have passed their form's checks."""
    barrier = threading.Barrier(len(requests), timeout=20)

    def hold(sender, instance, **kwargs):
        if instance._state.adding and instance.email == "race@example.com":
            barrier.wait()

    responses = [None] * len(requests)
    errors = []

    def send(index, client, path, data):
        try:
            responses[index] = client.post(path, data)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    pre_save.connect(hold, sender=User)
    try:
        threads = [
            threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        pre_save.disconnect(hold, sender=User)
    assert not errors, errors
    return responses


SIGNUP = {"email": "race@example.com", "password1": PASSWORD, "password2": PASSWORD}
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency is tested on PostgreSQL (make test with DATABASE_URL set)",
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("verification", ["optional", "mandatory"])
def test_two_real_concurrent_sign_ups_with_one_address_make_one_account(settings, verification):
    settings.ACCOUNT_EMAIL_VERIFICATION = verification
    url = reverse("account_signup")
    quiet = {"raise_request_exception": False}
    responses = concurrently((Client(**quiet), url, SIGNUP), (Client(**quiet), url, SIGNUP))
    loser_status = 200 if verification == "optional" else 302
    assert sorted(r.status_code for r in responses) == sorted([302, loser_status])
    assert User.objects.filter(email="race@example.com").count() == 1
    if verification == "optional":
        (loser,) = [r for r in responses if r.status_code == 200]
        assert "already registered" in loser.content.decode()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_operators_creating_the_same_address_at_once_make_one_account_and_a_form_error():
    root = User.objects.create_superuser(email="root@example.com", password="x")
    operators = [Client(raise_request_exception=False) for _ in range(2)]
    for operator in operators:
        operator.force_login(root)
    add = reverse("admin:quickscale_accounts_user_add")
    data = {"email": "race@example.com", "usable_password": "false"}
    responses = concurrently(*((operator, add, data) for operator in operators))
    assert sorted(r.status_code for r in responses) == [200, 302]
    (loser,) = [r for r in responses if r.status_code == 200]
    assert "already exists" in loser.content.decode()
    assert User.objects.filter(email="race@example.com").count() == 1
