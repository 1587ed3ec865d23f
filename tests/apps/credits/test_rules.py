"""The ledger's rules are written once (credits/rules.py) in three forms: a Django ordering, a
sort key for lots in memory, and SQL for the PL/pgSQL debit. On random accounts every form
must give the same lots in the same order, and the SQL debit must draw what credits_consume
draws."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscale.apps.credits import sql
from quickscale.apps.credits.models import Allocation, CreditLot
from quickscale.apps.credits.rules import SPENDABLE_SQL, SPENDING_ORDER_SQL, spendable_lots
from quickscale.apps.credits.rules import spending_order as sort_key
from quickscale.apps.credits.selectors import credit_book_balance, ledger_sum
from quickscale.apps.credits.services import consume_request_hash, credits_consume
from quickscale.exceptions import InsufficientCreditsError
from tests.apps.credits.helpers import DAY, NOW, grant
from tests.orgs import personal

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL debit is PostgreSQL's"
)
_emails = itertools.count()

LOTS = st.lists(
    st.tuples(
        st.sampled_from(["subscription", "payg", "promo"]),
        st.integers(1, 6),  # amount
        st.sampled_from([None, 1, 1, 3, 30]),  # expires in days (None: never)
        st.integers(0, 5),  # created days ago
        st.booleans(),  # lapsed by now
    ),
    max_size=7,
)
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def seeded(lots):
    user = get_user_model().objects.create_user(email=f"rules{next(_emails)}@example.com")
    for kind, amount, expires_days, age, lapsed in lots:
        if kind == "subscription" and expires_days is None:
            expires_days = 30
        created = NOW - age * DAY
        if lapsed:
            created, expires_days = NOW - 10 * DAY, 2
        grant(
            user, amount, kind, expires_in=expires_days * DAY if expires_days else None, now=created
        )
    return personal(user)


def sql_order(organization):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {CreditLot._meta.db_table} "  # noqa: S608
            f"WHERE organization_id = %(organization)s AND {SPENDABLE_SQL} "
            f"ORDER BY {SPENDING_ORDER_SQL}",
            {"organization": organization.pk, "now": NOW},
        )
        return [row[0] for row in cursor.fetchall()]


@HYPOTHESIS
@given(lots=LOTS)
def test_the_orm_and_the_in_memory_order_agree(lots):
    organization = seeded(lots)
    ordered = list(spendable_lots(organization.pk, NOW))
    assert [lot.pk for lot in ordered] == [lot.pk for lot in sorted(ordered, key=sort_key)]
    assert all(
        lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > NOW) for lot in ordered
    )
    assert len(ordered) == sum(
        1
        for lot in CreditLot.objects.filter(organization=organization)
        if lot.remaining and (lot.expires_at is None or lot.expires_at > NOW)
    )


@postgresql_only
@HYPOTHESIS
@given(lots=LOTS)
def test_the_sql_filter_and_order_agree_with_the_orm(lots):
    organization = seeded(lots)
    assert sql_order(organization) == [lot.pk for lot in spendable_lots(organization.pk, NOW)]


def _orm_debit(organization, amount, key):
    try:
        entry = credits_consume(
            organization=organization, amount=amount, idempotency_key=key, now=NOW
        )
    except InsufficientCreditsError as error:
        return ("insufficient", error.balance)
    return entry.pk


def _sql_debit(organization, amount, key):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.LOCK_FUNCTION}(%s)", [organization.pk])
        assert cursor.fetchone() == (True,)
        cursor.execute(
            f"SELECT * FROM {sql.DEBIT_FUNCTION}"  # noqa: S608
            "(%s, NULL, NULL, %s, '', '{}'::jsonb, %s, %s, %s)",
            [organization.pk, amount, key, consume_request_hash(amount), NOW],
        )
        entry_id, balance = cursor.fetchone()
    if entry_id is None and amount > 0:
        return ("insufficient", balance)
    return entry_id


def _drawn(organization, outcome):
    if isinstance(outcome, tuple) or outcome is None:
        return outcome
    lots = list(
        CreditLot.objects.filter(organization=organization)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return [
        (lots.index(a.lot_id), a.amount)
        for a in Allocation.objects.filter(entry_id=outcome).order_by("id")
    ]


@postgresql_only
@HYPOTHESIS
@given(lots=LOTS, amount=st.integers(1, 15))
def test_the_sql_debit_draws_exactly_what_credits_consume_draws(lots, amount):
    shapes = []
    for debit in (_orm_debit, _sql_debit):
        organization = seeded(lots)
        shapes.append(_drawn(organization, debit(organization, amount, "same-key")))
        assert ledger_sum(organization=organization) == credit_book_balance(
            organization=organization
        )
    assert shapes[0] == shapes[1]


@postgresql_only
def test_the_sql_lock_answers_false_for_an_unknown_organization():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.LOCK_FUNCTION}(%s)", [987654])
        assert cursor.fetchone() == (False,)


@postgresql_only
def test_migrate_leaves_exactly_the_ledger_functions_this_code_calls():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION quickscale_credits_debit_v0(integer) RETURNS integer "
            "LANGUAGE sql AS 'SELECT 1'"
        )
    sql.install_debit_functions("default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid::regprocedure::text FROM pg_proc "
            "WHERE proname LIKE 'quickscale\\_credits\\_%%'"
        )
        found = sorted(row[0] for row in cursor.fetchall())
    expected = sorted(
        signature.replace(", ", ",").replace("timestamptz", "timestamp with time zone")
        for signature in sql.SIGNATURES
    )
    assert found == expected
