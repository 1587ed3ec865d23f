"""Random sequences of grants, debits, refunds, expiries and clock advances keep every
invariant of the ledger."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from quickscale.apps.credits import services
from quickscale.apps.credits.models import CreditLot, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.exceptions import InsufficientCreditsError, RefundError
from tests.apps.credits.helpers import NOW
from tests.orgs import personal

_users = itertools.count()
KINDS = st.sampled_from(["subscription", "payg", "promo"])


class LedgerMachine(RuleBasedStateMachine):
    debits = Bundle("debits")

    def __init__(self):
        super().__init__()
        self.user = get_user_model().objects.create_user(email=f"prop{next(_users)}@example.com")
        self.organization = personal(self.user)
        self.now = NOW
        self.keys = itertools.count()
        self.done: list[tuple] = []  # (function, kwargs, entry id) for retries

    def key(self):
        return f"op-{next(self.keys)}"

    def live(self):
        return credit_balance_get(organization=self.organization, now=self.now).total

    def record(self, function, kwargs, entry):
        self.done.append((function, kwargs, entry.pk))
        return entry

    @rule(amount=st.integers(1, 100), kind=KINDS, days=st.one_of(st.none(), st.integers(1, 60)))
    def grant(self, amount, kind, days):
        if kind == "subscription" and days is None:
            days = 30
        kwargs = {
            "organization": self.organization,
            "amount": amount,
            "kind": kind,
            "expires_at": self.now + timedelta(days=days) if days else None,
            "idempotency_key": self.key(),
            "now": self.now,
        }
        before = self.live()
        self.record(services.credits_grant, kwargs, services.credits_grant(**kwargs))
        assert self.live() == before + amount

    @rule(target=debits, amount=st.integers(1, 150))
    def consume(self, amount):
        before = self.live()
        kwargs = {
            "organization": self.organization,
            "amount": amount,
            "idempotency_key": self.key(),
            "now": self.now,
        }
        try:
            entry = services.credits_consume(**kwargs)
        except InsufficientCreditsError as error:
            assert amount > before and error.balance == before
            assert self.live() == before
            return None
        assert amount <= before
        assert self.live() == before - amount
        return self.record(services.credits_consume, kwargs, entry).pk

    @rule(debit=debits, part=st.one_of(st.none(), st.integers(1, 150)))
    def refund(self, debit, part):
        if debit is None:
            return
        entry = LedgerEntry.objects.get(pk=debit)
        before = self.live()
        kwargs = {"entry": entry, "amount": part, "idempotency_key": self.key(), "now": self.now}
        try:
            refund = services.credits_refund(**kwargs)
        except RefundError:
            assert self.live() == before
            return
        assert refund.amount + refund.metadata["forfeited"] == refund.metadata["refunded"]
        assert self.live() == before + refund.amount
        self.record(services.credits_refund, kwargs, refund)

    @rule()
    def expire(self):
        before = self.live()
        services.credits_expire(now=self.now)
        assert self.live() == before
        assert ledger_sum(organization=self.organization) == before

    @rule(days=st.integers(0, 40))
    def advance_clock(self, days):
        self.now += timedelta(days=days)

    @rule(data=st.data())
    def retry(self, data):
        if not self.done:
            return
        function, kwargs, entry_id = data.draw(st.sampled_from(self.done))
        before = (self.live(), LedgerEntry.objects.filter(organization=self.organization).count())
        assert function(**kwargs).pk == entry_id
        assert (
            self.live(),
            LedgerEntry.objects.filter(organization=self.organization).count(),
        ) == before

    @invariant()
    def replaying_the_ledger_gives_the_book_balance(self):
        assert ledger_sum(organization=self.organization) == credit_book_balance(
            organization=self.organization
        )

    @invariant()
    def the_balance_is_never_negative_and_holds_only_unexpired_lots(self):
        live = sum(
            lot.remaining
            for lot in CreditLot.objects.filter(organization=self.organization)
            if lot.expires_at is None or lot.expires_at > self.now
        )
        assert self.live() == live >= 0


@pytest.mark.django_db
def test_random_histories_keep_the_ledger_invariants():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
