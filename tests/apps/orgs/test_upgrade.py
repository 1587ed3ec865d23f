"""Upgrading a database made before organizations: every user's credits, API keys and runs move
to their personal organization, and balances, keys and idempotent retries keep working.

The database is built in the migration state before organizations, through that state's
historical models, with rows written the way the code of then wrote them (fbe367b:
quickscale/apps/credits/services.py, quickscale/apps/services/services.py); then `migrate`
upgrades it, as a deployment does, and the code of now reads and writes it.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string

from quickscale.apps.accounts.models import User
from quickscale.apps.credits import sql as ledger_sql
from quickscale.apps.credits.models import Allocation, CreditLot, LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get, credit_book_balance, ledger_sum
from quickscale.apps.credits.services import credits_consume
from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.hashers import secret_hash
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.services import charge
from quickscale.apps.services.models import ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.apps.services.services import service_run

# Marked like django-test-migrations marks its own fixture's tests: `-m "not migration_test"`
# leaves these out.
pytestmark = pytest.mark.migration_test

# The latest migrations before organizations. Every other app's migrations that come before
# them in the plan are applied too; none of the organizations change's may be.
BEFORE = [
    ("quickscale_accounts", "0001_initial"),
    ("quickscale_api", "0001_initial"),
    ("quickscale_credits", "0003_ledger_entry_indexes"),
    ("quickscale_services", "0003_service_run_deadline"),
]
QUICKSCALE_BEFORE = {
    ("quickscale_accounts", "0001_initial"),
    ("quickscale_api", "0001_initial"),
    ("quickscale_credits", "0001_initial"),
    ("quickscale_credits", "0002_ledgerentry_api_key"),
    ("quickscale_credits", "0003_ledger_entry_indexes"),
    ("quickscale_services", "0001_initial"),
    ("quickscale_services", "0002_service_run_indexes"),
    ("quickscale_services", "0003_service_run_deadline"),
}
# What the charge function was called before this change (fbe367b's services/charge.py).
OLD_CHARGE_FUNCTION = f"{charge.FUNCTION_FAMILY}_v2"
DAY = timedelta(days=1)


@pytest.fixture
def migrator(transactional_db, settings, django_db_use_migrations):
    """django-test-migrations' Migrator, also under --no-migrations. The plugin's own `migrator`
    skips there; this one turns the project's migrations back on for the test (pytest-django
    turns them off by replacing MIGRATION_MODULES) and, like the plugin's, leaves the database
    migrated to the latest state for the tests after it."""
    from django_test_migrations.migrator import Migrator

    if not django_db_use_migrations:
        settings.MIGRATION_MODULES = {}  # the generated project sets none
        # The test database was made without migrations, so without their table.
        MigrationRecorder(connection).ensure_schema()
    migrator = Migrator()
    yield migrator
    migrator.reset()
    # Content types were made anew: ids cached by earlier tests are stale.
    ContentType.objects.clear_cache()


# Apps that came with or after organizations: a project from before has none of their tables.
LATER_APPS = {"quickscale_orgs", "quickscale_keys", "djstripe", "quickscale_billing"}


def _apply_before(migrator, targets):
    """django-test-migrations' apply_initial_migration, without the apps a project from before
    organizations did not have (dj-stripe depends on organizations, which would otherwise put
    them early in the plan), nor anything that depends on them."""
    from django.core.management.color import no_style
    from django_test_migrations import sql
    from django_test_migrations.plan import truncate_plan

    executor = migrator._executor
    sql.drop_models_tables(migrator._database, no_style())
    sql.flush_django_migrations_table(migrator._database, no_style())
    executor.loader.build_graph()
    graph = executor.loader.graph
    full = executor.migration_plan(graph.leaf_nodes(), clean_start=True)
    plan, left_out = [], set()
    for migration, backwards in truncate_plan(list(targets), full):
        key = (migration.app_label, migration.name)
        if migration.app_label in LATER_APPS or left_out & set(graph.node_map[key].parents):
            left_out.add(graph.node_map[key].key)
            continue
        plan.append((migration, backwards))
    return migrator._migrate(list(targets), plan=plan)


def before_organizations(migrator):
    """An empty database at the state before organizations, with what `migrate` had made for
    that state (content types, permissions; on PostgreSQL the charge function of then)."""
    state = _apply_before(migrator, BEFORE)
    applied = {
        key for key in MigrationRecorder(connection).applied_migrations() if "quickscale" in key[0]
    }
    assert applied == QUICKSCALE_BEFORE, "the plan before organizations took other migrations"
    old_apps = state.apps
    for app_config in old_apps.get_app_configs():
        # create_permissions (and the create_contenttypes it calls) skips app configs without
        # a models module, and a historical app config has none.
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=old_apps)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT oid::regprocedure::text FROM pg_proc WHERE proname LIKE %s",
                ["quickscale\\_%"],
            )
            for (signature,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION {signature}")
            # A stand-in for the old version: `migrate` replaces it.
            cursor.execute(
                f"CREATE FUNCTION {OLD_CHARGE_FUNCTION}(bigint) RETURNS integer "
                "LANGUAGE sql AS 'SELECT 1'"
            )
    return old_apps


def upgrade():
    """What a deployment runs: every migration, then post_migrate (content types, permissions,
    the PL/pgSQL functions). The Migrator mutes post_migrate, so it is not used for this."""
    call_command("migrate", verbosity=0, interactive=False)
    ContentType.objects.clear_cache()


# Request hashes, as fbe367b computed them. Copied, not imported: a retry after the upgrade must
# match what was stored before it, whatever the code of now computes.
def ledger_hash(operation, **arguments):
    canonical = json.dumps({"operation": operation, **arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_hash(name, data):
    return hashlib.sha256(json.dumps([name, data], sort_keys=True).encode()).hexdigest()


LOT_KIND_LABELS = {"subscription": "Subscription", "payg": "Pay-as-you-go", "promo": "Promotional"}


class OldCode:
    """The writes of fbe367b's credits and services, through the historical models, at a given
    moment (without its locks and checks: one writer, valid input)."""

    def __init__(self, apps):
        self.User = apps.get_model("quickscale_accounts", "User")
        self.Group = apps.get_model("auth", "Group")
        self.Permission = apps.get_model("auth", "Permission")
        self.ApiKey = apps.get_model("quickscale_api", "ApiKey")
        self.CreditLot = apps.get_model("quickscale_credits", "CreditLot")
        self.LedgerEntry = apps.get_model("quickscale_credits", "LedgerEntry")
        self.Allocation = apps.get_model("quickscale_credits", "Allocation")
        self.ServiceRun = apps.get_model("quickscale_services", "ServiceRun")
        self.tokens = {}  # key id -> "PREFIX.SECRET"

    def user(self, email, *, name="", joined, **extra):
        return self.User.objects.create(
            email=email, name=name, password="!", date_joined=joined, **extra
        )

    def api_key(self, user, prefix, *, name, at, scopes=()):
        secret = get_random_string(32)
        key = self.ApiKey.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            hashed_secret=secret_hash(secret),
            scopes=sorted(scopes),
            created_at=at,
        )
        self.tokens[key.pk] = f"{prefix}.{secret}"
        return key

    def grant(
        self,
        user,
        amount,
        kind,
        *,
        at,
        key=None,
        expires_at=None,
        source_type="command",
        source_id="",
        description="",
        actor=None,
    ):
        lot = self.CreditLot.objects.create(
            user=user,
            kind=kind,
            amount=amount,
            remaining=amount,
            expires_at=expires_at,
            source_type=source_type,
            source_id=source_id,
            created_at=at,
        )
        return self.LedgerEntry.objects.create(
            user=user,
            kind="grant",
            amount=amount,
            lot=lot,
            description=description,
            actor=actor,
            metadata={},
            idempotency_key=key or f"command:{uuid.uuid4()}",
            request_hash=ledger_hash(
                "grant",
                amount=amount,
                kind=kind,
                expires_at=expires_at.isoformat() if expires_at else None,
                source_type=source_type,
                source_id=source_id,
            ),
            created_at=at,
        )

    def consume(self, user, amount, *, at, key=None, description="", api_key=None, metadata=None):
        lots = self.CreditLot.objects.filter(user=user, remaining__gt=0).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )
        lots = sorted(
            lots,
            key=lambda lot: (
                lot.expires_at is None,
                lot.expires_at,
                lot.kind != "subscription",
                lot.created_at,
                lot.pk,
            ),
        )
        assert sum(lot.remaining for lot in lots) >= amount
        entry = self.LedgerEntry.objects.create(
            user=user,
            kind="debit",
            amount=-amount,
            description=description,
            api_key=api_key,
            metadata=metadata or {},
            idempotency_key=key or f"command:{uuid.uuid4()}",
            request_hash=ledger_hash("consume", amount=amount),
            created_at=at,
        )
        left = amount
        for lot in lots:
            if left == 0:
                break
            take = min(left, lot.remaining)
            lot.remaining -= take
            left -= take
            lot.save(update_fields=["remaining"])
            self.Allocation.objects.create(entry=entry, lot=lot, amount=take)
        return entry

    def refund(self, entry, *, at, key=None, amount=None, description=""):
        allocations = list(entry.allocations.select_related("lot").order_by("-id"))
        wanted = amount if amount is not None else sum(a.amount - a.refunded for a in allocations)
        restored = forfeited = 0
        left = wanted
        for allocation in allocations:
            give = min(left, allocation.amount - allocation.refunded)
            if give == 0:
                continue
            allocation.refunded += give
            left -= give
            allocation.save(update_fields=["refunded"])
            lot = allocation.lot
            if lot.expired_at is None and (lot.expires_at is None or lot.expires_at > at):
                lot.remaining += give
                lot.save(update_fields=["remaining"])
                restored += give
            else:
                forfeited += give
        return self.LedgerEntry.objects.create(
            user=entry.user,
            kind="refund",
            amount=restored,
            refund_of=entry,
            description=description or f"Refund of entry {entry.pk}",
            metadata={"refunded": wanted, "forfeited": forfeited},
            idempotency_key=key or f"command:{uuid.uuid4()}",
            request_hash=ledger_hash("refund", entry=entry.pk, amount=amount),
            created_at=at,
        )

    def expire(self, lot_id, *, at):
        lot = self.CreditLot.objects.get(pk=lot_id)
        entry = self.LedgerEntry.objects.create(
            user=lot.user,
            kind="expiry",
            amount=-lot.remaining,
            lot=lot,
            description=f"{LOT_KIND_LABELS[lot.kind]} credits expired",
            idempotency_key=f"expiry:lot:{lot.pk}",
            request_hash=ledger_hash("expire", lot=lot.pk),
            created_at=at,
        )
        lot.remaining, lot.expired_at = 0, at
        lot.save(update_fields=["remaining", "expired_at"])
        return entry

    def run(self, user, name, data, *, at, outcome, api_key=None, idempotency_key=None):
        """A service run as `service_run` recorded it: charged, then succeeded, failed (and
        refunded), or still running."""
        service = registry.get(name)
        cost = service.cost_for(data)
        reference = uuid.uuid4().hex
        debit = self.consume(
            user,
            cost,
            at=at,
            key=f"service-run:{reference}",
            description=name,
            api_key=api_key,
            metadata={"service": name, "reference": reference},
        )
        run = self.ServiceRun.objects.create(
            user=user,
            api_key=api_key,
            service=name,
            status="running",
            cost=cost,
            input_size=len(json.dumps(data)),
            idempotency_key=idempotency_key,
            request_hash=run_hash(name, data),
            debit=debit,
            created_at=at,
            deadline=at + timedelta(seconds=service.time_limit()),
        )
        if outcome == "succeeded":
            run.status, run.result, run.duration_ms = "succeeded", service.run(data), 12
        elif outcome == "failed":
            run.status, run.error, run.duration_ms = "failed", "RuntimeError", 40
            run.refund = self.refund(
                debit, at=at, key=f"service-refund:{run.pk}", description=f"{name} failed"
            )
        run.save()
        return run


@dataclass
class Books:
    """What one user had before the upgrade."""

    balance: dict  # spendable credits by kind, and their total
    book: int
    ledger: int
    lots: set
    entries: dict = field(default_factory=dict)  # id -> the entry's values
    keys: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)


def ran(kind, actor, rest):
    """Whether an entry is a debit a service run made (its key is the run's), whose user
    becomes its actor; an operator's debit keeps none."""
    key = rest[ENTRY_FIELDS.index("idempotency_key") - 3]
    return kind == "debit" and actor is None and key.startswith("service-run:")


ENTRY_FIELDS = (
    "kind",
    "amount",
    "actor_id",
    "lot_id",
    "refund_of_id",
    "api_key_id",
    "idempotency_key",
    "request_hash",
    "description",
    "metadata",
    "created_at",
)
KEY_FIELDS = ("user_id", "name", "prefix", "hashed_secret", "scopes", "created_at")
RUN_FIELDS = (
    "user_id",
    "api_key_id",
    "service",
    "status",
    "cost",
    "debit_id",
    "refund_id",
    "idempotency_key",
    "request_hash",
    "result",
    "error",
    "created_at",
    "deadline",
)


def values(queryset, fields):
    return {row[0]: row[1:] for row in queryset.values_list("pk", *fields)}


def books_before(old, user, now):
    lots = old.CreditLot.objects.filter(user=user)
    balance = dict.fromkeys(LOT_KIND_LABELS, 0)
    for lot in lots.filter(remaining__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    ):
        balance[lot.kind] += lot.remaining
    balance["total"] = sum(balance.values())
    entries = old.LedgerEntry.objects.filter(user=user)
    return Books(
        balance=balance,
        book=lots.aggregate(total=Sum("remaining"))["total"] or 0,
        ledger=entries.aggregate(total=Sum("amount"))["total"] or 0,
        lots=set(lots.values_list("pk", flat=True)),
        entries=values(entries, ENTRY_FIELDS),
        keys=values(old.ApiKey.objects.filter(user=user), KEY_FIELDS),
        runs=values(old.ServiceRun.objects.filter(user=user), RUN_FIELDS),
    )


def allocations(model):
    return set(model.objects.values_list("pk", "entry_id", "lot_id", "amount", "refunded"))


def balance_of(organization, now):
    balance = credit_balance_get(organization=organization, now=now)
    return {
        "subscription": balance.subscription,
        "payg": balance.payg,
        "promo": balance.promo,
        "total": balance.total,
    }


KEYWORDS_INPUT = {"text": "Ledgers balance. Ledgers replay. Organizations own ledgers.", "limit": 3}
SENTIMENT_INPUT = {"text": "A lovely, reliable ledger."}


def test_upgrade_moves_every_users_credits_keys_and_runs_to_their_personal_organization(
    migrator,
):
    now = timezone.now()
    old = OldCode(before_organizations(migrator))

    operator = old.user("ops@example.com", name="Ops", joined=now - 90 * DAY, is_staff=True)
    operators = old.Group.objects.create(name="Credit operators")
    change_key = old.Permission.objects.get(
        content_type__app_label="quickscale_api", codename="change_apikey"
    )
    grant_credits = old.Permission.objects.get(
        content_type__app_label="quickscale_credits", codename="grant_credits"
    )
    operators.permissions.add(change_key, grant_credits)
    operator.groups.add(operators)

    grace = old.user("grace@example.com", name="Grace Hopper", joined=now - 70 * DAY)
    grace_key = old.api_key(grace, "Gr4c", name="laptop", at=now - 65 * DAY)
    old.grant(grace, 500, "payg", at=now - 60 * DAY)
    short_promo = old.grant(grace, 15, "promo", at=now - 45 * DAY, expires_at=now - 22 * DAY)
    goodwill = old.grant(
        grace,
        30,
        "promo",
        at=now - 40 * DAY,
        expires_at=now - 20 * DAY,
        key=f"admin:{uuid.uuid4()}",
        source_type="admin",
        description="Sorry for the outage",
        actor=operator,
    )
    lapsed = old.grant(
        grace,
        300,
        "subscription",
        at=now - 35 * DAY,
        expires_at=now - 5 * DAY,
        source_id="sub_1:2026-10",
    )
    old.grant(
        grace,
        50,
        "promo",
        at=now - 30 * DAY,
        key="demo:welcome",
        source_type="demo",
        description="Demo credits",
    )
    spanning = old.consume(grace, 40, at=now - 25 * DAY, description="import")
    assert {a.lot_id for a in spanning.allocations.all()} == {short_promo.lot_id, goodwill.lot_id}
    old.expire(goodwill.lot_id, at=now - 19 * DAY)
    current = old.grant(
        grace,
        1000,
        "subscription",
        at=now - 10 * DAY,
        expires_at=now + 20 * DAY,
        source_id="sub_1:2026-11",
    )
    replayable = old.run(
        grace,
        "keywords",
        KEYWORDS_INPUT,
        at=now - 8 * DAY,
        outcome="succeeded",
        api_key=grace_key,
        idempotency_key="report-7",
    )
    old.run(grace, "text_statistics", {"text": "Boom."}, at=now - 6 * DAY, outcome="failed")
    bought = old.consume(grace, 150, at=now - 3 * DAY, description="batch")
    partial = old.refund(bought, at=now - 2 * DAY, amount=60)
    assert partial.amount == 60
    old.run(
        grace,
        "text_statistics",
        {"text": "Still going."},
        at=now - timedelta(seconds=20),
        outcome="running",
    )

    ada = old.user("ada@example.com", joined=now - 40 * DAY)
    ada_key = old.api_key(ada, "AdaX", name="ci", at=now - 35 * DAY, scopes=["sentiment"])
    old.grant(ada, 50, "promo", at=now - 30 * DAY, key="demo:welcome", source_type="demo")
    old.grant(ada, 100, "payg", at=now - 20 * DAY)
    ada_replayable = old.run(
        ada,
        "sentiment",
        SENTIMENT_INPUT,
        at=now - DAY,
        outcome="succeeded",
        api_key=ada_key,
        idempotency_key="report-7",
    )

    people = {user.pk: books_before(old, user, now) for user in (operator, grace, ada)}
    assert people[grace.pk].balance["total"] < people[grace.pk].book  # the lapsed lot
    allocations_before = allocations(old.Allocation)
    tokens = old.tokens

    upgrade()

    assert Organization.objects.count() == len(people)
    organizations = {}
    for user_id, before in people.items():
        organization = Organization.objects.get(personal_owner_id=user_id)
        organizations[user_id] = organization
        assert organization.kind == "personal"
        assert list(organization.memberships.values_list("user_id", "role")) == [(user_id, "owner")]
        assert set(organization.credit_lots.values_list("pk", flat=True)) == before.lots
        debits_get_their_user = {
            pk: (kind, amount, user_id if ran(kind, actor, rest) else actor, *rest)
            for pk, (kind, amount, actor, *rest) in before.entries.items()
        }
        assert values(organization.ledger_entries.all(), ENTRY_FIELDS) == debits_get_their_user
        assert values(ApiKey.objects.filter(organization=organization), KEY_FIELDS) == before.keys
        assert values(ServiceRun.objects.filter(organization=organization), RUN_FIELDS) == (
            before.runs
        )
        assert balance_of(organization, now) == before.balance
        assert credit_book_balance(organization=organization) == before.book
        assert ledger_sum(organization=organization) == before.ledger == before.book
    assert allocations(Allocation) == allocations_before
    assert LedgerEntry.objects.get(pk=goodwill.pk).actor_id == operator.pk
    assert LedgerEntry.objects.get(pk=lapsed.pk).actor_id is None  # grants keep no actor
    grace_org, ada_org = organizations[grace.pk], organizations[ada.pk]

    # The operator's group kept its permissions, on the models where they live now.
    key_type = ContentType.objects.get_for_model(ApiKey)
    assert (key_type.app_label, key_type.pk) == ("quickscale_keys", change_key.content_type_id)
    assert not ContentType.objects.filter(app_label="quickscale_api").exists()
    group_permissions = Group.objects.get(pk=operators.pk).permissions.values_list("pk", flat=True)
    assert set(group_permissions) == {change_key.pk, grant_credits.pk}
    operator_now = User.objects.get(pk=operator.pk)
    assert operator_now.has_perm("quickscale_keys.change_apikey")
    assert operator_now.has_perm("quickscale_credits.grant_credits")

    # Keys made before still authenticate, for their user's personal organization.
    for key_id, token in tokens.items():
        key = api_key_authenticate(f"Bearer {token}")
        assert isinstance(key, ApiKey), key
        assert key.pk == key_id
        assert key.organization_id == organizations[key.user_id].pk

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE %s", ["quickscale\\_%"])
            functions = {name for (name,) in cursor.fetchall()}
        assert functions == {
            charge.FUNCTION_NAME,
            ledger_sql.LOCK_FUNCTION,
            ledger_sql.DEBIT_FUNCTION,
        }

    # A retry of a run made before replays it: same run, same result, nothing charged.
    entries = LedgerEntry.objects.count()
    for organization, user, name, data, run in (
        (grace_org, grace, "keywords", KEYWORDS_INPUT, replayable),
        (ada_org, ada, "sentiment", SENTIMENT_INPUT, ada_replayable),
    ):
        replay = service_run(
            organization=organization,
            user=User.objects.get(pk=user.pk),
            name=name,
            data=data,
            idempotency_key="report-7",
        )
        assert replay.replayed
        assert (replay.run.pk, replay.run.result) == (run.pk, run.result)
        assert replay.balance == people[user.pk].balance["total"]
    assert LedgerEntry.objects.count() == entries

    # A new paid call, charged through the PL/pgSQL function on PostgreSQL.
    with CaptureQueriesContext(connection) as queries:
        paid = service_run(
            organization=ada_org,
            user=User.objects.get(pk=ada.pk),
            name="text_statistics",
            data={"text": "After the upgrade."},
        )
    assert not paid.replayed
    assert paid.run.status == "succeeded"
    assert paid.balance == people[ada.pk].balance["total"] - 1
    debit = LedgerEntry.objects.get(pk=paid.run.debit_id)
    assert (debit.organization_id, debit.actor_id) == (ada_org.pk, ada.pk)
    through_function = any(charge.FUNCTION_NAME in query["sql"] for query in queries)
    assert through_function == (connection.vendor == "postgresql")

    # A new debit draws on the lots made before, in spending order.
    left_in_current = CreditLot.objects.get(pk=current.lot_id).remaining
    spent = credits_consume(
        organization=grace_org, amount=left_in_current + 1, idempotency_key="after-upgrade"
    )
    assert spent.organization_id == grace_org.pk
    assert spent.allocations.count() == 2
    assert credit_balance_get(organization=grace_org).total == (
        people[grace.pk].balance["total"] - left_in_current - 1
    )
    assert ledger_sum(organization=grace_org) == credit_book_balance(organization=grace_org)


def test_upgrade_gives_users_without_credits_or_with_clashing_names_distinct_personal_slugs(
    migrator,
):
    now = timezone.now()
    old = OldCode(before_organizations(migrator))
    users = [
        old.user("ada@x.com", joined=now - 3 * DAY),
        old.user("ada@y.com", joined=now - 2 * DAY),
        old.user("zed@z.com", name="Ada", joined=now - DAY),
    ]

    upgrade()

    organizations = [Organization.objects.get(personal_owner_id=user.pk) for user in users]
    assert [organization.slug for organization in organizations] == ["ada", "ada-2", "ada-3"]
    assert [organization.name for organization in organizations] == ["ada (personal)"] * 2 + [
        "Ada (personal)"
    ]
    for user, organization in zip(users, organizations, strict=True):
        assert organization.created_at == user.date_joined
        assert list(
            Membership.objects.filter(user_id=user.pk).values_list("organization_id", "role")
        ) == [(organization.pk, "owner")]
        assert credit_balance_get(organization=organization).total == 0
        assert ledger_sum(organization=organization) == 0


def test_going_back_before_organizations_is_refused_before_anything_changes(migrator):
    old = OldCode(before_organizations(migrator))
    old.user("ada@example.com", joined=timezone.now() - DAY)
    upgrade()
    applied = set(MigrationRecorder(connection).applied_migrations())
    with pytest.raises(IrreversibleError, match="is not reversible"):
        call_command("migrate", "quickscale_credits", "0003", verbosity=0, interactive=False)
    assert set(MigrationRecorder(connection).applied_migrations()) == applied
    assert Organization.objects.filter(kind="personal").count() == 1


def test_personal_slugs_of_many_users_sharing_a_base_are_numbered_in_one_pass(migrator):
    old = OldCode(before_organizations(migrator))
    joined = timezone.now() - DAY
    for number in range(300):
        old.user(f"info@{number}.example.com", joined=joined)
        old.user(f"ivan{number}@example.com", name="Иван Петров", joined=joined)
    with CaptureQueriesContext(connection) as queries:
        upgrade()
    slugs = list(Organization.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 600
    assert {"info", "info-300", "org", "org-300"} <= set(slugs)
    # Organizations are written in batches (as many as the database's parameter limit asks
    # for), not a statement per user.
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT INTO")]
    assert 1 <= sum("quickscale_orgs_organization" in sql.split("(")[0] for sql in inserts) <= 10
