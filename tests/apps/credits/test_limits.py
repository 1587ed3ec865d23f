"""Amounts and balances have a documented maximum, MAX_CREDITS. Past it, every face refuses with
a clear error and changes nothing: the services themselves (so no face can bypass them), the
command, the admin's forms, the API and services' costs. Without it, a grant of 2**63 was a
DataError, and 2**63 - 1 then 1 made every later paid call fail with "bigint out of range"."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.urls import reverse

from quickscale.apps.credits import services
from quickscale.apps.credits.models import MAX_CREDITS, CreditLot, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import registry
from quickscale.exceptions import CreditLimitError, InvalidCreditRequestError
from tests.apps.credits.helpers import DAY, NOW, consume, grant, key
from tests.orgs import personal

pytestmark = pytest.mark.django_db

PAST_64_BITS = [2**63, 2**63 - 1, 2**64, 10**30]
PAST_MAX = [MAX_CREDITS + 1, *PAST_64_BITS]


def snapshot(user):
    return (
        list(
            LedgerEntry.objects.filter(organization=personal(user))
            .order_by("id")
            .values_list("id", "amount")
        ),
        list(
            CreditLot.objects.filter(organization=personal(user))
            .order_by("id")
            .values_list("id", "remaining")
        ),
    )


def test_the_maximum_fits_every_integer_the_ledger_and_json_clients_hold():
    assert MAX_CREDITS == 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: exact in any client
    assert MAX_CREDITS < 2**63 - 1  # PostgreSQL's bigint


@pytest.mark.parametrize("amount", PAST_MAX)
def test_a_grant_past_the_maximum_is_refused_and_changes_nothing(user, amount):
    grant(user, 5)
    before = snapshot(user)
    with pytest.raises(CreditLimitError) as refused:
        grant(user, amount)
    assert f"{MAX_CREDITS:,}" in refused.value.message
    assert isinstance(refused.value, InvalidCreditRequestError)  # every face already handles it
    assert snapshot(user) == before


def test_a_grant_of_exactly_the_maximum_is_accepted(user):
    grant(user, MAX_CREDITS)
    assert credit_balance_get(organization=personal(user), now=NOW).total == MAX_CREDITS


def test_a_grant_that_would_push_the_balance_past_the_maximum_is_refused(user):
    grant(user, MAX_CREDITS - 10)
    grant(user, 10)
    before = snapshot(user)
    with pytest.raises(CreditLimitError) as refused:
        grant(user, 1)
    assert "balance" in refused.value.message
    assert snapshot(user) == before
    consume(user, 1)
    grant(user, 1)  # room again
    assert credit_balance_get(organization=personal(user), now=NOW).total == MAX_CREDITS


def test_expired_credits_do_not_count_against_the_maximum(user):
    grant(user, MAX_CREDITS, "subscription", expires_in=DAY)
    later = NOW + 2 * DAY
    services.credits_grant(
        organization=personal(user),
        amount=MAX_CREDITS,
        kind="payg",
        idempotency_key=key(),
        now=later,
    )
    assert credit_balance_get(organization=personal(user), now=later).total == MAX_CREDITS


@pytest.mark.parametrize("amount", [*PAST_MAX, -(MAX_CREDITS + 1), -(2**63)])
def test_an_adjustment_past_the_maximum_is_refused(user, amount):
    grant(user, 5)
    before = snapshot(user)
    with pytest.raises(CreditLimitError):
        services.credits_adjust(
            organization=personal(user), amount=amount, reason="typo", idempotency_key=key()
        )
    assert snapshot(user) == before


def test_a_positive_adjustment_that_would_push_the_balance_past_the_maximum_is_refused(user):
    grant(user, MAX_CREDITS)
    with pytest.raises(CreditLimitError):
        services.credits_adjust(
            organization=personal(user), amount=1, reason="goodwill", idempotency_key=key()
        )
    services.credits_adjust(
        organization=personal(user), amount=-1, reason="correction", idempotency_key=key()
    )
    assert credit_balance_get(organization=personal(user)).total == MAX_CREDITS - 1


@pytest.mark.parametrize("amount", PAST_MAX)
def test_a_debit_past_the_maximum_is_refused(user, amount):
    grant(user, 5)
    before = snapshot(user)
    with pytest.raises(CreditLimitError):
        consume(user, amount)
    assert snapshot(user) == before


@pytest.mark.parametrize("amount", PAST_MAX)
def test_a_refund_past_the_maximum_is_refused(user, amount):
    grant(user, 5)
    debit = consume(user, 5)
    before = snapshot(user)
    with pytest.raises(CreditLimitError):
        services.credits_refund(entry=debit, amount=amount, idempotency_key=key())
    assert snapshot(user) == before


def test_a_refund_that_would_push_the_balance_past_the_maximum_is_refused(user):
    grant(user, 100)
    debit = consume(user, 100)
    grant(user, MAX_CREDITS)
    before = snapshot(user)
    with pytest.raises(CreditLimitError):
        services.credits_refund(entry=debit, idempotency_key=key())
    assert snapshot(user) == before
    consume(user, 100)
    services.credits_refund(entry=debit, idempotency_key=key())
    assert credit_balance_get(organization=personal(user)).total == MAX_CREDITS


# The command: a clear message and exit status 1, nothing changed.


def command(*args):
    out = io.StringIO()
    call_command("quickscale_credits", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize("amount", PAST_MAX)
@pytest.mark.parametrize(
    "subcommand", [["grant", "--kind", "payg"], ["consume"], ["adjust", "--reason", "typo"]]
)
def test_the_command_refuses_amounts_past_the_maximum(user, subcommand, amount):
    grant(user, 5)
    before = snapshot(user)
    with pytest.raises(CommandError) as refused:
        command(subcommand[0], "--user", user.email, "--amount", str(amount), *subcommand[1:])
    assert refused.value.returncode == 1
    assert f"{MAX_CREDITS:,}" in str(refused.value)
    assert snapshot(user) == before


def test_the_command_refuses_a_grant_that_would_push_the_balance_past_the_maximum(user):
    grant(user, MAX_CREDITS)
    with pytest.raises(CommandError) as refused:
        command("grant", "--user", user.email, "--amount", "1", "--kind", "promo")
    assert refused.value.returncode == 1 and "balance" in str(refused.value)
    assert credit_balance_get(organization=personal(user)).total == MAX_CREDITS


def test_the_command_refuses_a_refund_past_the_maximum(user):
    grant(user, 100)
    debit = consume(user, 100)
    grant(user, MAX_CREDITS)
    with pytest.raises(CommandError) as refused:
        command("refund", "--entry", str(debit.pk))
    assert refused.value.returncode == 1 and f"{MAX_CREDITS:,}" in str(refused.value)


def test_the_command_adjusts_up_and_down(user):
    grant(user, 10)
    assert "balance 15" in command("adjust", "--user", user.email, "--amount", "5", "--reason", "x")
    out = command("adjust", "--user", user.email, "--amount", "-12", "--reason", "correction")
    assert "balance 3" in out
    assert [entry.amount for entry in LedgerEntry.objects.order_by("id")] == [10, 5, -12]


# The admin's forms: a form error, nothing changed.


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    return admin


def admin_post(client, view, account, **data):
    url = reverse(f"admin:quickscale_credits_creditaccount_{view}", args=[personal(account).pk])
    form = client.get(url).context["form"]
    payload = {"reason": "support", "idempotency_key": form.initial["idempotency_key"], **data}
    return client.post(url, payload)


@pytest.mark.parametrize("amount", PAST_MAX)
def test_the_admin_grant_form_refuses_amounts_past_the_maximum(client, operator, user, amount):
    before = snapshot(user)
    response = admin_post(client, "grant", user, amount=str(amount), kind="payg")
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert snapshot(user) == before


@pytest.mark.parametrize("amount", [*PAST_MAX, -(MAX_CREDITS + 1)])
def test_the_admin_adjust_form_refuses_amounts_past_the_maximum(client, operator, user, amount):
    grant(user, 5)
    before = snapshot(user)
    response = admin_post(client, "adjust", user, amount=str(amount))
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert snapshot(user) == before


@pytest.mark.parametrize("view", ["grant", "adjust"])
def test_the_admin_refuses_what_would_push_the_balance_past_the_maximum(
    client, operator, user, view
):
    grant(user, MAX_CREDITS)
    before = snapshot(user)
    response = admin_post(client, view, user, amount="1", kind="promo")
    assert response.status_code == 200
    assert "balance" in " ".join(response.context["form"].non_field_errors())
    assert snapshot(user) == before


# Services' costs and the API.


class Priceless(BaseService):
    """A service whose price, worked out from the input, can pass any maximum."""

    name = "priceless_for_limits"
    cost = 1
    input_schema = {
        "type": "object",
        "properties": {"units": {"type": "integer", "minimum": 0}},
        "required": ["units"],
    }

    def cost_for(self, data):
        return data["units"]

    def run(self, data):
        return {"ok": True}


@pytest.fixture
def priceless():
    registry.register(Priceless)
    yield Priceless
    registry._services.pop(Priceless.name)


@pytest.fixture
def api(client, user):
    from quickscale.apps.keys.services import api_key_create

    client.defaults["HTTP_AUTHORIZATION"] = (
        f"Bearer {api_key_create(organization=personal(user), user=user, name='t').token}"
    )
    return client


def run(api, name, data):
    return api.post(
        f"/api/v1/services/{name}/run", json.dumps(data), content_type="application/json"
    )


@pytest.mark.parametrize("units", PAST_MAX)
def test_a_cost_past_the_maximum_is_a_json_400_and_charges_nothing(api, user, priceless, units):
    grant(user, 5)
    before = snapshot(user)
    response = run(api, priceless.name, {"units": units})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "cost_too_large" and error["maximum"] == MAX_CREDITS
    assert snapshot(user) == before


def test_paid_calls_still_work_on_a_balance_at_the_maximum(api, user):
    """The issue's reproduction: 2**63 - 1 then 1 made every later paid call a 500."""
    with pytest.raises(CreditLimitError):
        grant(user, 2**63 - 1)
    grant(user, MAX_CREDITS)
    with pytest.raises(CreditLimitError):
        grant(user, 1)
    for _ in range(3):
        response = run(api, "text_statistics", {"text": "Still fine."})
        assert response.status_code == 200, response.content
    assert response.json()["balance"] == MAX_CREDITS - 3
    total = credit_balance_get(organization=personal(user)).total
    assert (
        total
        == credit_book_balance(organization=personal(user))
        == ledger_sum(organization=personal(user))
        == MAX_CREDITS - 3
    )


def test_a_service_whose_cost_is_past_the_maximum_is_a_system_check_error(settings):
    class TooDear(BaseService):
        name = "too_dear_for_limits"
        cost = MAX_CREDITS + 1

        def run(self, data):
            return {}

    registry.register(TooDear)
    try:
        errors = [m for m in run_checks() if m.id == "quickscale.E040"]
    finally:
        registry._services.pop(TooDear.name)
    assert errors and "too_dear_for_limits" in errors[0].msg


def test_shipped_services_pass_the_cost_check():
    assert not [m for m in run_checks() if m.id == "quickscale.E040"]
