import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from quickscale.apps.credits.selectors import credit_balance_get
from tests.orgs import personal

pytestmark = pytest.mark.django_db


def password_from(output: str) -> str:
    return next(
        line.split(":", 1)[1].strip() for line in output.splitlines() if "password:" in line
    )


def test_demo_user_is_never_created_with_debug_off(capsys):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG is off"):
        call_command("quickscale_demo")
    assert not get_user_model().objects.exists()


@override_settings(DEBUG=True)
def test_demo_user_is_a_verified_superuser_whose_printed_password_works(capsys):
    call_command("quickscale_demo")
    password = password_from(capsys.readouterr().out)
    user = authenticate(email="demo@example.com", password=password)
    assert user is not None and user.is_superuser and user.is_staff
    assert EmailAddress.objects.get(user=user).verified


@override_settings(DEBUG=True)
def test_running_it_again_resets_the_password_and_keeps_one_user(capsys):
    call_command("quickscale_demo")
    first = password_from(capsys.readouterr().out)
    call_command("quickscale_demo")
    second = password_from(capsys.readouterr().out)
    assert first != second
    assert get_user_model().objects.count() == 1
    user = get_user_model().objects.get()
    assert (
        credit_balance_get(organization=personal(user)).promo == 100
    )  # granted once, not on every run
    assert authenticate(email="demo@example.com", password=first) is None
    assert authenticate(email="demo@example.com", password=second) is not None


@override_settings(DEBUG=True)
def test_with_a_test_mode_stripe_the_demo_has_a_shop_to_buy_from(fake_stripe, capsys):
    from djstripe.models import WebhookEndpoint

    from quickscale.apps.billing.models import Offer

    call_command("quickscale_demo", "--site-url", "http://127.0.0.1:8123")
    assert "Billing ready in test mode: 4 demo products created, 6 offers synced" in (
        capsys.readouterr().out
    )
    assert Offer.objects.filter(kind="pack").count() == 2
    assert set(Offer.objects.filter(kind="plan").values_list("interval", flat=True)) == {
        "month",
        "year",
    }
    (endpoint,) = WebhookEndpoint.objects.all()
    assert endpoint.url.startswith("http://127.0.0.1:8123/stripe/webhook/") and endpoint.secret
    # Again: nothing is created twice.
    call_command("quickscale_demo", "--site-url", "http://127.0.0.1:8123")
    assert "0 demo products created" in capsys.readouterr().out
    assert Offer.objects.count() == 6 and WebhookEndpoint.objects.count() == 1


@override_settings(DEBUG=True)
def test_the_demo_never_touches_a_live_stripe_account(fake_stripe, settings, capsys):
    from quickscale.apps.billing.models import Offer

    settings.STRIPE_SECRET_KEY = "sk_live_" + "0" * 24
    call_command("quickscale_demo")
    assert "a live Stripe key is set" in capsys.readouterr().out
    assert not Offer.objects.exists()
