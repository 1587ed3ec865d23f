import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from quickscale.apps.credits.models import CreditLot, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get
from tests.apps.credits.helpers import consume, grant
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return get_user_model().objects.create_user(email="customer@example.com")


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    return admin


def url(name, *args):
    return reverse(f"admin:quickscale_credits_{name}", args=args)


def test_the_account_page_shows_balance_by_kind_live_lots_and_the_ledger(
    client, operator, customer
):
    grant(customer, 40, "payg", description="welcome pack")
    consume(customer, 15, description="report run")
    response = client.get(url("creditaccount_change", personal(customer).pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["balance"].total == 25
    assert "welcome pack" in html and "report run" in html
    assert [lot.remaining for lot in response.context["lots"]] == [25]


def test_the_account_list_shows_each_spendable_balance(client, operator, customer):
    grant(customer, 12, "promo")
    response = client.get(url("creditaccount_changelist"))
    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == personal(customer).pk)
    assert row._spendable == 12


def test_granting_through_the_admin_records_the_reason_and_the_operator(client, operator, customer):
    form = client.get(url("creditaccount_grant", personal(customer).pk)).context["form"]
    key = form.initial["idempotency_key"]
    data = {"amount": "30", "kind": "payg", "reason": "support ticket 42", "idempotency_key": key}
    response = client.post(url("creditaccount_grant", personal(customer).pk), data)
    assert response.status_code == 302
    client.post(url("creditaccount_grant", personal(customer).pk), data)  # a double submit
    entry = LedgerEntry.objects.get(organization=personal(customer))
    assert (entry.amount, entry.description, entry.actor) == (30, "support ticket 42", operator)
    assert credit_balance_get(organization=personal(customer)).total == 30


def test_the_grant_form_requires_a_reason_and_refuses_bad_input(client, operator, customer):
    page = url("creditaccount_grant", personal(customer).pk)
    for data, error in [
        ({"amount": "30", "kind": "payg", "reason": ""}, "This field is required"),
        ({"amount": "0", "kind": "payg", "reason": "x"}, "greater than or equal to 1"),
        ({"amount": "5", "kind": "subscription", "reason": "x"}, "need an expiry"),
        (
            {"amount": "5", "kind": "promo", "reason": "x", "expires_at": "2001-01-01T00:00"},
            "already past",
        ),
    ]:
        response = client.post(page, {**data, "idempotency_key": "admin:test"})
        assert response.status_code == 200
        assert error in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_adjusting_down_removes_credits_and_never_below_zero(client, operator, customer):
    grant(customer, 10)
    page = url("creditaccount_adjust", personal(customer).pk)
    response = client.post(page, {"amount": "-4", "reason": "duplicate", "idempotency_key": "a1"})
    assert response.status_code == 302
    response = client.post(page, {"amount": "-7", "reason": "too much", "idempotency_key": "a2"})
    assert "Insufficient credits" in response.content.decode()
    response = client.post(page, {"amount": "0", "reason": "nothing", "idempotency_key": "a3"})
    assert "cannot be zero" in response.content.decode()
    assert credit_balance_get(organization=personal(customer)).total == 6


def test_staff_without_the_grant_permission_cannot_grant(client, customer):
    staff = get_user_model().objects.create_user(email="staff@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_creditaccount"))
    client.force_login(staff)
    assert client.get(url("creditaccount_change", personal(customer).pk)).status_code == 200
    data = {"amount": "5", "kind": "payg", "reason": "x", "idempotency_key": "s1"}
    assert client.post(url("creditaccount_grant", personal(customer).pk), data).status_code == 403
    assert not CreditLot.objects.exists()


def test_the_ledger_and_lots_cannot_be_added_changed_or_deleted_in_the_admin(
    client, operator, customer
):
    entry = grant(customer, 10)
    assert client.get(reverse("admin:quickscale_credits_ledgerentry_add")).status_code == 403
    change = reverse("admin:quickscale_credits_ledgerentry_change", args=[entry.pk])
    response = client.post(change, {"amount": "1000"})
    assert response.status_code == 403
    delete = reverse("admin:quickscale_credits_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    lot_delete = reverse("admin:quickscale_credits_creditlot_delete", args=[entry.lot_id])
    assert client.post(lot_delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == 10
    assert client.get(change).status_code == 200  # viewing is fine
