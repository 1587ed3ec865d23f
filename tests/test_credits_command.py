import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from quickscale.apps.credits.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="ada@example.com")


def credits(*args):
    out = io.StringIO()
    call_command("quickscale_credits", *args, stdout=out)
    return out.getvalue()


def balance_of(email="ada@example.com"):
    return json.loads(credits("balance", "--user", email, "--json"))


def snapshot():
    return list(LedgerEntry.objects.order_by("id").values_list("id", "amount"))


def test_grant_consume_and_balance(user):
    out = credits("grant", "--user", "Ada@Example.com", "--amount", "100", "--kind", "payg")
    assert "Granted 100 payg credits to ada@example.com" in out
    credits(
        "grant",
        "--user",
        user.email,
        "--amount",
        "30",
        "--kind",
        "subscription",
        "--expires-at",
        "2099-01-01T00:00:00Z",
        "--reason",
        "monthly plan",
    )
    assert "balance 115" in credits("consume", "--user", user.email, "--amount", "15")
    balance = balance_of()
    assert (balance["total"], balance["subscription"], balance["payg"], balance["promo"]) == (
        115,
        15,
        100,
        0,
    )
    assert balance["next_expiry"].startswith("2099-01-01")


def test_an_idempotency_key_makes_a_retried_command_a_no_op(user):
    for _ in range(2):
        credits(
            "grant",
            "--user",
            user.email,
            "--amount",
            "10",
            "--kind",
            "promo",
            "--idempotency-key",
            "promo-2030",
        )
    assert balance_of()["promo"] == 10


def test_insufficient_balance_exits_3_and_changes_nothing(user):
    credits("grant", "--user", user.email, "--amount", "5", "--kind", "payg")
    before = snapshot()
    with pytest.raises(CommandError, match="Insufficient credits") as caught:
        credits("consume", "--user", user.email, "--amount", "6")
    assert caught.value.returncode == 3
    assert snapshot() == before


def test_refund_and_its_bad_inputs(user):
    credits("grant", "--user", user.email, "--amount", "5", "--kind", "payg")
    credits("consume", "--user", user.email, "--amount", "4")
    debit = LedgerEntry.objects.get(kind="debit")
    assert "Refunded 4 credits" in credits("refund", "--entry", str(debit.pk))
    assert balance_of()["total"] == 5
    before = snapshot()
    with pytest.raises(CommandError, match="already been refunded"):
        credits("refund", "--entry", str(debit.pk))
    with pytest.raises(CommandError, match="no ledger entry 999999"):
        credits("refund", "--entry", "999999")
    with pytest.raises(CommandError, match="only debits"):
        credits("refund", "--entry", str(LedgerEntry.objects.get(kind="grant").pk))
    assert snapshot() == before


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["grant", "--user", "nobody@example.com", "--amount", "5", "--kind", "payg"], "No user"),
        (
            ["grant", "--user", "ada@example.com", "--amount", "five", "--kind", "payg"],
            "not a whole number",
        ),
        (["grant", "--user", "ada@example.com", "--amount", "-5", "--kind", "payg"], "above zero"),
        (
            ["grant", "--user", "ada@example.com", "--amount", "5", "--kind", "gold"],
            "invalid choice",
        ),
        (
            [
                "grant",
                "--user",
                "ada@example.com",
                "--amount",
                "5",
                "--kind",
                "promo",
                "--expires-at",
                "2001-01-01T00:00:00Z",
            ],
            "already past",
        ),
        (
            [
                "grant",
                "--user",
                "ada@example.com",
                "--amount",
                "5",
                "--kind",
                "promo",
                "--expires-at",
                "soon",
            ],
            "not an ISO 8601",
        ),
        (
            [
                "grant",
                "--user",
                "ada@example.com",
                "--amount",
                "5",
                "--kind",
                "promo",
                "--expires-at",
                "2099-01-01T00:00:00",
            ],
            "no time zone",
        ),
        (
            ["grant", "--user", "ada@example.com", "--amount", "5", "--kind", "subscription"],
            "expiry",
        ),
        (["consume", "--user", "nobody@example.com", "--amount", "1"], "No user"),
        (["consume", "--user", "ada@example.com", "--amount", "0"], "above zero"),
        (["balance", "--user", "nobody@example.com"], "No user"),
        (["ledger", "--user", "ada@example.com", "--format", "xml"], "invalid choice"),
        (["refund", "--entry", "abc"], "not a whole number"),
    ],
)
def test_bad_input_gives_a_one_line_reason_and_changes_nothing(user, args, reason):
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        credits(*args)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value).strip()
    assert snapshot() == before


def test_the_same_key_for_another_grant_is_refused(user):
    credits(
        "grant", "--user", user.email, "--amount", "5", "--kind", "payg", "--idempotency-key", "k"
    )
    with pytest.raises(CommandError, match="different request"):
        credits(
            "grant",
            "--user",
            user.email,
            "--amount",
            "6",
            "--kind",
            "payg",
            "--idempotency-key",
            "k",
        )


def test_expire_reports_how_many_lots_it_closed(user):
    assert credits("expire").strip() == "Expired 0 lots."


def test_ledger_in_every_format(user):
    credits(
        "grant", "--user", user.email, "--amount", "10", "--kind", "payg", "--reason", "welcome"
    )
    credits("consume", "--user", user.email, "--amount", "3", "--description", 'a, b "c"')
    table = credits("ledger", "--user", user.email).splitlines()
    assert len(table) == 3 and "welcome" in table[1] and "-3" in table[2]
    rows = list(
        csv.DictReader(io.StringIO(credits("ledger", "--user", user.email, "--format", "csv")))
    )
    assert [(r["kind"], r["amount"]) for r in rows] == [("grant", "10"), ("debit", "-3")]
    assert rows[1]["description"] == 'a, b "c"'
    data = json.loads(credits("ledger", "--user", user.email, "--format", "json"))
    assert [d["amount"] for d in data] == [10, -3]
    assert sum(d["amount"] for d in data) == balance_of()["total"]


def test_an_empty_ledger_is_valid_json(user):
    assert json.loads(credits("ledger", "--user", user.email, "--format", "json")) == []
