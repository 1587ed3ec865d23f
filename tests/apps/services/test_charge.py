"""Charging for a run, on whichever database the suite runs on (PostgreSQL: the charge function;
SQLite: the ORM path), and on PostgreSQL the two paths side by side on random accounts."""

import itertools
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscale.apps.credits.models import Allocation, CreditLot, LedgerEntry
from quickscale.apps.credits.selectors import credit_book_balance, ledger_sum
from quickscale.apps.services import charge as charge_module
from quickscale.apps.services.charge import (
    ChargeRequest,
    _charge_orm,
    _charge_postgresql,
    charge,
    install_charge_function,
)
from quickscale.apps.services.models import RunStatus, ServiceConfig, ServiceRun
from quickscale.exceptions import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    RunInProgressError,
    ServiceUnavailableError,
)
from tests.apps.credits.helpers import DAY, MONTH, NOW, grant
from tests.orgs import personal

pytestmark = pytest.mark.django_db
_emails = itertools.count()


def new_user():
    return get_user_model().objects.create_user(email=f"charge{next(_emails)}@example.com")


def request_for(user, cost=1, *, key=None, request_hash="h1", service="text_statistics"):
    return ChargeRequest(
        organization=personal(user),
        user=user,
        service=service,
        cost=cost,
        input_size=10,
        request_hash=request_hash,
        reference=uuid.uuid4().hex,
        deadline=NOW + timedelta(seconds=30),
        idempotency_key=key,
    )


def drawn(entry_id):
    return [
        (a.lot_id, a.amount) for a in Allocation.objects.filter(entry_id=entry_id).order_by("id")
    ]


def test_a_charge_draws_in_spending_order_and_records_the_run():
    user = new_user()
    permanent = grant(user, 5, "payg", now=NOW - MONTH).lot
    later_promo = grant(user, 3, "promo", expires_in=2 * MONTH).lot
    payg_soon = grant(user, 2, "payg", expires_in=MONTH).lot
    subscription_soon = grant(user, 2, "subscription", expires_in=MONTH).lot
    lapsed = grant(user, 10, "payg", expires_in=DAY, now=NOW - 2 * DAY).lot

    charged = charge(request_for(user, cost=6), now=NOW)

    run = ServiceRun.objects.get()
    assert charged.run.pk == run.pk and not charged.replayed
    assert run.status == RunStatus.RUNNING and run.cost == 6 and run.input_size == 10
    assert run.created_at == NOW and run.deadline == NOW + timedelta(seconds=30)
    assert run.debit.amount == -6 and run.debit.description == "text_statistics"
    assert drawn(run.debit_id) == [
        (subscription_soon.pk, 2),
        (payg_soon.pk, 2),
        (later_promo.pk, 2),
    ]
    remaining = dict(CreditLot.objects.values_list("pk", "remaining"))
    assert remaining[permanent.pk] == 5 and remaining[later_promo.pk] == 1
    assert remaining[lapsed.pk] == 10  # expired credits are never spent
    assert charged.balance in (None, 6)
    assert ledger_sum(organization=personal(user)) == credit_book_balance(
        organization=personal(user)
    )


def test_too_few_credits_writes_nothing_and_says_what_there_is():
    user = new_user()
    lot = grant(user, 3, "payg").lot
    entries = LedgerEntry.objects.count()
    with pytest.raises(InsufficientCreditsError) as raised:
        charge(request_for(user, cost=4), now=NOW)
    assert (raised.value.balance, raised.value.requested) == (3, 4)
    assert LedgerEntry.objects.count() == entries and not ServiceRun.objects.exists()
    assert CreditLot.objects.get(pk=lot.pk).remaining == 3


def test_an_account_without_credits_is_refused_and_a_free_service_still_runs():
    user = new_user()
    with pytest.raises(InsufficientCreditsError):
        charge(request_for(user, cost=1), now=NOW)
    charged = charge(request_for(user, cost=0), now=NOW)
    run = ServiceRun.objects.get()
    assert charged.run.pk == run.pk and run.debit is None and run.cost == 0
    assert not LedgerEntry.objects.filter(organization=personal(user)).exists()


def test_a_switched_off_service_is_not_charged():
    user = new_user()
    grant(user, 5)
    ServiceConfig.objects.create(name="text_statistics", enabled=False)
    with pytest.raises(ServiceUnavailableError):
        charge(request_for(user), now=NOW)
    assert not ServiceRun.objects.exists()
    assert not LedgerEntry.objects.filter(organization=personal(user), kind="debit").exists()


def test_the_same_idempotency_key_replays_and_charges_once():
    user = new_user()
    grant(user, 5)
    first = charge(request_for(user, key="retry-1"), now=NOW)
    with pytest.raises(RunInProgressError):
        charge(request_for(user, key="retry-1"), now=NOW)
    ServiceRun.objects.filter(pk=first.run.pk).update(status=RunStatus.SUCCEEDED)
    again = charge(request_for(user, key="retry-1"), now=NOW)
    assert again.replayed and again.run.pk == first.run.pk
    with pytest.raises(IdempotencyConflictError):
        charge(request_for(user, key="retry-1", request_hash="other"), now=NOW)
    assert ServiceRun.objects.count() == 1
    assert LedgerEntry.objects.filter(organization=personal(user), kind="debit").count() == 1
    # Keys belong to their account: another account's identical key is a new run.
    other = new_user()
    grant(other, 5)
    assert not charge(request_for(other, key="retry-1"), now=NOW).replayed


LOTS = st.lists(
    st.tuples(
        st.sampled_from(["subscription", "payg", "promo"]),
        st.integers(1, 6),  # amount
        st.sampled_from([None, -2, 1, 1, 3, 30]),  # expires in days (None: never)
        st.integers(0, 3),  # created days ago
    ),
    max_size=6,
)


def _seed(user, lots):
    for kind, amount, expires_days, age in lots:
        if kind == "subscription" and expires_days is None:
            expires_days = 30
        created = NOW - age * DAY
        if expires_days is not None and created + expires_days * DAY <= created:
            # A lot that has lapsed by now: granted earlier with a short life.
            created, expires_days = NOW - 3 * DAY, 1
        grant(
            user, amount, kind, expires_in=expires_days * DAY if expires_days else None, now=created
        )


def _shape(user, outcome):
    lots = list(
        CreditLot.objects.filter(organization=personal(user))
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if isinstance(outcome, Exception):
        return type(outcome).__name__, getattr(outcome, "balance", None)
    run = ServiceRun.objects.get(pk=outcome.run.pk)
    return [(lots.index(lot), amount) for lot, amount in drawn(run.debit_id)], run.cost


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the charge function is PostgreSQL's")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lots=LOTS, cost=st.integers(0, 15))
def test_the_charge_function_draws_exactly_as_the_orm_path(lots, cost):
    shapes = []
    for path in (_charge_orm, _charge_postgresql):
        user = new_user()
        _seed(user, lots)
        try:
            outcome = path(request_for(user, cost=cost), NOW, "default")
        except InsufficientCreditsError as error:
            outcome = error
        shapes.append(_shape(user, outcome))
        assert ledger_sum(organization=personal(user)) == credit_book_balance(
            organization=personal(user)
        )
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize("cost", [-1, 1.5, True, None])
def test_a_cost_that_is_not_a_whole_number_of_credits_is_refused_before_charging(cost):
    user = new_user()
    grant(user, 5)
    with pytest.raises(ValueError, match="whole number of credits"):
        charge(request_for(user, cost=cost), now=NOW)
    assert not ServiceRun.objects.exists()
    assert credit_book_balance(organization=personal(user)) == 5


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the charge function is PostgreSQL's"
)


@postgresql_only
def test_without_the_function_calls_are_charged_through_the_orm_until_migrate_makes_it(
    monkeypatch, caplog
):
    monkeypatch.setattr(charge_module, "_function_seen", {})
    monkeypatch.setattr(charge_module, "_function_checked_at", {})
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"DROP FUNCTION {charge_module.FUNCTION_SIGNATURE}")
    user = new_user()
    grant(user, 5)
    first = charge(request_for(user), now=NOW)
    assert first.balance is None  # the ORM path's answer
    assert "Run `python manage.py migrate`" in caplog.text
    install_charge_function("default")
    second = charge(request_for(user), now=NOW)
    assert second.balance == 3  # the function's answer
    assert (
        credit_book_balance(organization=personal(user))
        == 3
        == ledger_sum(organization=personal(user))
    )


@postgresql_only
def test_migrate_leaves_exactly_one_charge_function():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION quickscale_service_charge_v0(integer) RETURNS integer "
            "LANGUAGE sql AS 'SELECT 1'"
        )
    install_charge_function("default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid::regprocedure::text FROM pg_proc "
            "WHERE proname LIKE 'quickscale\\_service\\_charge%%'"
        )
        found = [row[0] for row in cursor.fetchall()]
    assert found == [
        charge_module.FUNCTION_SIGNATURE.replace(", ", ",").replace(
            "timestamptz", "timestamp with time zone"
        )
    ]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_failed_charge_inside_a_callers_transaction_leaves_that_transaction_usable():
    user = new_user()
    grant(user, 5)
    settings_dict = connection.settings_dict
    holder = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        password=settings_dict["PASSWORD"] or None,
    )
    try:
        holder.execute(
            "SELECT 1 FROM quickscale_orgs_organization WHERE id = %s FOR UPDATE",
            [personal(user).pk],
        )
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(OperationalError):
                charge(request_for(user), now=NOW)
            assert get_user_model().objects.filter(pk=user.pk).exists()
    finally:
        holder.rollback()
        holder.close()
    assert not ServiceRun.objects.exists() and credit_book_balance(organization=personal(user)) == 5
