"""What the benchmark scripts share: running commands, serving a project, waiting for it."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql

PYTHON = sys.executable
BIN = Path(PYTHON).parent
POLL_INTERVAL = 0.02  # seconds


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(extra)
    return env


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or clean_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_200(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


@contextmanager
def serving(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env or clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# PostgreSQL projects, and credit ledgers seeded in bulk, for the credits benchmarks.

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
DEBIT_AMOUNT_CYCLE = 5  # seeded debits cost 1, 2, …, 5 credits in turn
HISTORY_SPAN = timedelta(days=730)  # how far back a seeded ledger starts
SUBSCRIPTION_PERIOD = timedelta(days=30)
PROMO_VALIDITY = timedelta(days=90)
LIVE_LOT_KINDS = ("subscription", "payg", "promo")
HISTORY_LOT_KINDS = ("subscription", "payg")
KIB = 1024


@dataclass(frozen=True)
class Project:
    """A generated project migrated on its own database; `env` is what its processes run with."""

    path: Path
    name: str
    database_url: str
    env: dict[str, str]


def database_url(name: str) -> str:
    return f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def _postgres_client(program: str, *args: str) -> None:
    subprocess.run(
        [program, "-h", POSTGRES_HOST, "-p", str(POSTGRES_PORT), "-U", POSTGRES_USER, *args],
        check=True,
        capture_output=True,
    )


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards, whatever happened (its URL)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _postgres_client("createdb", name)
    try:
        yield database_url(name)
    finally:
        _postgres_client("dropdb", "--if-exists", "--force", name)


def postgres_project(root: Path, name: str, url: str) -> Project:
    """`quickscale init` a project under `root`, point it at `url` and migrate it.

    It runs as in production (DEBUG off), so that Django keeps no query log."""
    path = root / name
    run([PYTHON, "-m", "quickscale", "init", name, "--directory", str(path)], root)
    env = clean_env(DATABASE_URL=url, DEBUG="False", SECRET_KEY=secrets.token_urlsafe(50))
    run([PYTHON, "manage.py", "migrate", "--noinput"], path, env)
    return Project(path=path, name=name, database_url=url, env=env)


def django_setup(project_path: Path, name: str) -> None:
    """Set up Django in this process as the generated project's manage.py would."""
    import django

    sys.path.insert(0, str(project_path))
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{name}.settings"
    django.setup()


def self_command(script: str, project: Project, *args: str) -> list[str]:
    """Run `script` again, as a child that sets up Django with `django_setup(argv[2], argv[3])`."""
    return [PYTHON, str(Path(script).resolve()), "child", str(project.path), project.name, *args]


def run_peak_rss(
    cmd: Sequence[str], cwd: Path, env: dict[str, str], stdout: IO[bytes]
) -> tuple[float, int]:
    """Run `cmd` to completion; its wall time in seconds and its own peak RSS in bytes."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, cmd, stderr=errors)
    return elapsed, usage.ru_maxrss * KIB  # Linux counts ru_maxrss in KiB


@dataclass(frozen=True)
class LotPlan:
    kind: str
    created_at: datetime
    period: timedelta  # the debits drawn from the lot fall inside [created_at, +period)
    expires_at: datetime | None
    debits: int
    remaining: int
    expired: int  # credits its expiry entry took; 0 when it has none

    @property
    def spent(self) -> int:
        cycles, rest = divmod(self.debits, DEBIT_AMOUNT_CYCLE)
        full_cycle = DEBIT_AMOUNT_CYCLE * (DEBIT_AMOUNT_CYCLE + 1) // 2
        return cycles * full_cycle + rest * (rest + 1) // 2

    @property
    def amount(self) -> int:
        return self.spent + self.remaining + self.expired


def plan_ledger(
    entries: int, lots: int, live_lots: int, live_remaining: int, now: datetime
) -> list[LotPlan]:
    """Lots whose grants, debits and expiries make exactly `entries` ledger entries.

    The history lots, oldest first, alternate subscription lots (their leftover expired at the
    end of their period, with an expiry entry) and pay-as-you-go lots spent to zero. The last
    `live_lots` lots still hold `live_remaining` times 1, 2, … credits. Debits are spread evenly
    over all lots, each drawing from one lot.
    """
    history = lots - live_lots
    expiries = (history + 1) // len(HISTORY_LOT_KINDS)
    debits, extra = divmod(entries - lots - expiries, lots)
    if debits < 1 or history < 0:
        raise ValueError(f"{entries} entries cannot fill {lots} lots ({live_lots} of them live)")
    period = min(HISTORY_SPAN / lots, SUBSCRIPTION_PERIOD)
    start = now - period * lots
    plans = []
    for index in range(lots):
        created_at = start + period * index
        count = debits + (index < extra)
        if index < history:
            kind = HISTORY_LOT_KINDS[index % len(HISTORY_LOT_KINDS)]
            lapsing = kind == "subscription"
            expires_at = created_at + period if lapsing else None
            expired = 10 * (1 + index % 7) if lapsing else 0
            plans.append(LotPlan(kind, created_at, period, expires_at, count, 0, expired))
            continue
        live = index - history
        kind = LIVE_LOT_KINDS[live % len(LIVE_LOT_KINDS)]
        validity = {"subscription": SUBSCRIPTION_PERIOD, "promo": PROMO_VALIDITY}.get(kind)
        expires_at = now + validity if validity else None
        remaining = live_remaining * (live + 1)
        plans.append(LotPlan(kind, created_at, period, expires_at, count, remaining, 0))
    return plans


USER_INSERT = """
INSERT INTO quickscale_accounts_user
    (password, is_superuser, email, name, is_staff, is_active, date_joined)
VALUES ('!', false, %(email)s, '', false, true, %(joined)s)
RETURNING id
"""
# A seeded account is what a sign-up makes: a user, their personal organization (which owns
# the credits) and their owner membership of it (see organization_personal_ensure).
PERSONAL_ORGANIZATION_INSERT = """
INSERT INTO quickscale_orgs_organization (name, slug, kind, personal_owner_id, created_at)
VALUES (%(name)s, %(slug)s, 'personal', %(user)s, %(joined)s)
RETURNING id
"""
OWNER_MEMBERSHIP_INSERT = """
INSERT INTO quickscale_orgs_membership (organization_id, user_id, role, created_at)
VALUES (%(organization)s, %(user)s, 'owner', %(joined)s)
"""
LOT_INSERT = """
INSERT INTO quickscale_credits_creditlot
    (organization_id, kind, amount, remaining, expires_at, expired_at, source_type, source_id,
     created_at)
VALUES (%(organization)s, %(kind)s, %(amount)s, %(remaining)s, %(expires_at)s, %(expired_at)s,
        %(source_type)s, %(source_id)s, %(created_at)s)
RETURNING id
"""
PLAN_TABLE = """
CREATE TEMPORARY TABLE bench_lot_plan (
    lot_id bigint, kind text, amount bigint, created_at timestamptz, step interval,
    debits integer, expired bigint, expires_at timestamptz
) ON COMMIT DROP
"""
PLAN_INSERT = "INSERT INTO bench_lot_plan VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
# Every entry in time order (so ids follow time), then one allocation per debit. Debits name
# the account's user as their actor, as the API's debits do; grants (Stripe, a promotion) and
# expiries are the system's, with no actor.
LEDGER_INSERT = """
WITH events AS (
    SELECT p.created_at AS at, 0 AS phase, 'grant' AS kind, p.amount AS amount,
           p.lot_id AS lot_id, NULL::bigint AS drawn_from,
           'grant:' || md5(%(salt)s || ':' || p.lot_id) AS key,
           initcap(p.kind) || ' credits' AS description, '{}'::jsonb AS metadata
    FROM bench_lot_plan p
    UNION ALL
    SELECT p.created_at + p.step * (g + 1), 1, 'debit', -(1 + mod(g, %(cycle)s)),
           NULL, p.lot_id, md5(%(salt)s || ':' || p.lot_id || ':' || g)::uuid::text,
           'API request', jsonb_build_object('endpoint', '/api/generate', 'units', 1 + mod(g, 3))
    FROM bench_lot_plan p CROSS JOIN LATERAL generate_series(0, p.debits - 1) AS g
    UNION ALL
    SELECT p.expires_at, 2, 'expiry', -p.expired, p.lot_id, NULL, 'expiry:lot:' || p.lot_id,
           initcap(p.kind) || ' credits expired', '{}'::jsonb
    FROM bench_lot_plan p
    WHERE p.expired > 0
), inserted AS (
    INSERT INTO quickscale_credits_ledgerentry
        (organization_id, actor_id, kind, amount, lot_id, description, metadata,
         idempotency_key, request_hash, created_at)
    SELECT %(organization)s, CASE WHEN e.kind = 'debit' THEN %(user)s::bigint END, e.kind,
           e.amount, e.lot_id, e.description, e.metadata, e.key,
           encode(sha256(convert_to(e.key, 'UTF8')), 'hex'), e.at
    FROM events e
    ORDER BY e.at, e.phase
    RETURNING id, idempotency_key
)
INSERT INTO quickscale_credits_allocation (entry_id, lot_id, amount, refunded)
SELECT i.id, e.drawn_from, -e.amount, 0
FROM inserted i JOIN events e ON e.key = i.idempotency_key
WHERE e.drawn_from IS NOT NULL
"""
LEDGER_CHECK = """
SELECT (SELECT count(*) FROM quickscale_credits_ledgerentry
        WHERE organization_id = %(organization)s),
       (SELECT coalesce(sum(amount), 0) FROM quickscale_credits_ledgerentry
        WHERE organization_id = %(organization)s),
       (SELECT coalesce(sum(remaining), 0) FROM quickscale_credits_creditlot
        WHERE organization_id = %(organization)s)
"""


def seed_account(
    url: str, email: str, entries: int, lots: int, live_lots: int, live_remaining: int
) -> int:
    """A user, with their personal organization whose ledger holds exactly `entries` entries
    (see `plan_ledger`), by bulk SQL; the organization's id.

    Debits carry unique UUID idempotency keys and one allocation each, like `credits_consume`'s;
    the ledger sums to the book balance, which is checked here."""
    now = datetime.now(UTC)
    plans = plan_ledger(entries, lots, live_lots, live_remaining, now)
    joined = now - HISTORY_SPAN
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        user = _returned_id(cursor, USER_INSERT, {"email": email, "joined": joined})
        organization = _returned_id(
            cursor, PERSONAL_ORGANIZATION_INSERT, _personal_organization_row(email, user, joined)
        )
        cursor.execute(
            OWNER_MEMBERSHIP_INSERT, {"organization": organization, "user": user, "joined": joined}
        )
        cursor.execute(PLAN_TABLE)
        rows = []
        for index, plan in enumerate(plans):
            lot = _returned_id(cursor, LOT_INSERT, _lot_row(organization, index, plan))
            step = plan.period / (plan.debits + 1)
            row = (lot, plan.kind, plan.amount, plan.created_at, step, plan.debits, plan.expired)
            rows.append((*row, plan.expires_at))
        cursor.executemany(PLAN_INSERT, rows)
        salt = secrets.token_hex(8)
        cursor.execute(
            LEDGER_INSERT,
            {
                "salt": salt,
                "cycle": DEBIT_AMOUNT_CYCLE,
                "organization": organization,
                "user": user,
            },
        )
        cursor.execute(LEDGER_CHECK, {"organization": organization})
        count, ledger, book = cursor.fetchone() or (0, 0, 0)
    if (count, ledger) != (entries, book):
        raise AssertionError(f"seeded {count} entries summing to {ledger}, book balance {book}")
    return organization


def _returned_id(
    cursor: psycopg.Cursor[tuple[Any, ...]], query: str, params: dict[str, Any]
) -> int:
    cursor.execute(query, params)
    row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _personal_organization_row(email: str, user: int, joined: datetime) -> dict[str, Any]:
    """Named as organization_personal_ensure names it; a slug of its own."""
    local = email.split("@", 1)[0]
    base = re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-")[:30] or "org"
    return {
        "name": f"{local} (personal)",
        "slug": f"{base}-{secrets.token_hex(4)}",
        "user": user,
        "joined": joined,
    }


def _lot_row(organization: int, index: int, plan: LotPlan) -> dict[str, Any]:
    lapsed = plan.expired > 0
    return {
        "organization": organization,
        "kind": plan.kind,
        "amount": plan.amount,
        "remaining": plan.remaining,
        "expires_at": plan.expires_at,
        "expired_at": plan.expires_at if lapsed else None,
        "source_type": "stripe" if plan.kind != "promo" else "promotion",
        "source_id": f"in_{index:08d}",
        "created_at": plan.created_at,
    }


def vacuum_analyze(url: str) -> None:
    """What autovacuum would have done by now to tables this size: statistics, visibility map."""
    with psycopg.connect(url, autocommit=True) as connection:
        for table in (
            "quickscale_accounts_user",
            "quickscale_orgs_organization",
            "quickscale_orgs_membership",
            "quickscale_credits_creditlot",
            "quickscale_credits_ledgerentry",
            "quickscale_credits_allocation",
        ):
            connection.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))


# Load tests: a generated project served by a real server, driven by wrk from another process.

WRK = "wrk"
WRK_THREADS = 2
WRK_REPORT_MARK = "WRK_REPORT "
REDIS_URL = "redis://127.0.0.1:6379/0"
UNLIMITED_RATE = "100000000/s"  # QUICKSCALE_API_RATE_LIMIT for load tests
LOOPBACK = "127.0.0.1"
BARE_PATH = "/bench/bare"
BARE_POST_PATH = "/bench/bare-post"
INSERT_PATH = "/bench/insert"
INSERT_TABLE = "bench_insert"
DEBIT_PATH = "/bench/debit"
ACCOUNT_TABLE = "bench_account"
ORGANIZATION_TABLE = "quickscale_orgs_organization"
# The organization whose row the hand-written debit locks, as the ledger locks an account's.
BASELINE_ORGANIZATION_SLUG = "bench-baseline"
SERVER_READY_TIMEOUT = 60.0  # seconds
SERVER_STOP_TIMEOUT = 30.0  # seconds
BENCH_URLS = '''"""Benchmark-only baseline views, written by benchmarks/support.py."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from {name}.urls import urlpatterns as project_urlpatterns


def bare(request):
    return JsonResponse({{"ok": True}})


@csrf_exempt
def bare_post(request):
    return JsonResponse({{"ok": True, "length": len(request.body)}})


def insert(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO {table} (note) VALUES (%s) RETURNING id", ["bench"])
        (row_id,) = cursor.fetchone()
    return JsonResponse({{"id": row_id}})


def debit(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM {organizations} WHERE id = {organization} FOR NO KEY UPDATE"
        )
        cursor.execute("UPDATE {account} SET balance = balance - 1 WHERE id = 1")
        cursor.execute("INSERT INTO {table} (note) VALUES (%s) RETURNING id", ["debit"])
        (row_id,) = cursor.fetchone()
    return JsonResponse({{"id": row_id}})


urlpatterns = [
    path("{bare}", bare),
    path("{bare_post}", bare_post),
    path("{insert}", insert),
    path("{debit}", debit),
    *project_urlpatterns,
]
'''
BENCH_SETTINGS = '''"""The project's settings, the benchmark's URLs, no API rate limit."""

from {name}.settings import *  # noqa: F403

ROOT_URLCONF = "{name}.bench_urls"
QUICKSCALE_API_RATE_LIMIT = "{rate}"
'''
INSERT_TABLE_DDL = (
    "CREATE TABLE {} (id bigserial PRIMARY KEY, "
    "created_at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)"
)
ACCOUNT_TABLE_DDL = "CREATE TABLE {} (id bigint PRIMARY KEY, balance bigint NOT NULL)"
ACCOUNT_ROW = "INSERT INTO {} VALUES (1, 0)"
BASELINE_ORGANIZATION_INSERT = (
    "INSERT INTO {} (name, slug, kind, personal_owner_id, created_at) "
    "VALUES ('Benchmark baseline', %s, 'team', NULL, now()) RETURNING id"
)
# Appended to every wrk script: one machine-readable line with what wrk counted.
WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\\n',
    "{mark}", summary.requests, summary.duration, e.status, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def load_test_project(project: Project, cache_prefix: str) -> Project:
    """Add benchmark-only baseline views to a generated project, in a settings module of its
    own, and the environment of a production server on loopback: DEBUG off, no https redirect
    (wrk speaks plain http), Redis cache, no API rate limit. The views: `BARE_PATH` answers
    JSON; `INSERT_PATH` does one INSERT in autocommit; `DEBIT_PATH` is a debit written by hand,
    one transaction that locks an organization's row as the ledger does (`FOR NO KEY UPDATE`;
    a team made for it, `BASELINE_ORGANIZATION_SLUG`), updates a balance row and inserts a
    row."""
    with psycopg.connect(project.database_url, autocommit=True) as connection:
        connection.execute(sql.SQL(INSERT_TABLE_DDL).format(sql.Identifier(INSERT_TABLE)))
        connection.execute(sql.SQL(ACCOUNT_TABLE_DDL).format(sql.Identifier(ACCOUNT_TABLE)))
        connection.execute(sql.SQL(ACCOUNT_ROW).format(sql.Identifier(ACCOUNT_TABLE)))
        row = connection.execute(
            sql.SQL(BASELINE_ORGANIZATION_INSERT).format(sql.Identifier(ORGANIZATION_TABLE)),
            [BASELINE_ORGANIZATION_SLUG],
        ).fetchone()
        assert row is not None
        organization = int(row[0])
    package = project.path / project.name
    (package / "bench_urls.py").write_text(
        BENCH_URLS.format(
            name=project.name,
            table=INSERT_TABLE,
            account=ACCOUNT_TABLE,
            organizations=ORGANIZATION_TABLE,
            organization=organization,
            bare=BARE_PATH[1:],
            bare_post=BARE_POST_PATH[1:],
            insert=INSERT_PATH[1:],
            debit=DEBIT_PATH[1:],
        )
    )
    (package / "bench_settings.py").write_text(
        BENCH_SETTINGS.format(name=project.name, rate=UNLIMITED_RATE)
    )
    # No collectstatic (10 s, and no page here serves a static file); WhiteNoise only wants the
    # folder to exist.
    (project.path / "staticfiles").mkdir(exist_ok=True)
    env = {
        **project.env,
        "DJANGO_SETTINGS_MODULE": f"{project.name}.bench_settings",
        "ALLOWED_HOSTS": LOOPBACK,
        "SECURE_SSL_REDIRECT": "False",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": cache_prefix,
    }
    return Project(path=project.path, name=project.name, database_url=project.database_url, env=env)


def shipped_server(project: Project, port: int) -> tuple[list[str], dict[str, str]]:
    """The server command the generated project ships (its Procfile's `web:` line, run in the
    project's folder, where gunicorn reads gunicorn.conf.py) and its environment on `port`."""
    procfile = (project.path / "Procfile").read_text()
    program, *args = procfile.partition("web:")[2].split()
    env = {**project.env, "HOST": LOOPBACK, "PORT": str(port)}
    return [str(BIN / program), *args], env


def project_output(project: Project, command: Sequence[str]) -> str:
    """Run `command` in the project's folder and environment; its stdout."""
    return subprocess.run(
        command, cwd=project.path, env=project.env, check=True, capture_output=True, text=True
    ).stdout


def project_python(project: Project, code: str, *args: str) -> str:
    """Run `code` (`args` in sys.argv[1:]) with the project's Django set up; its stdout."""
    prelude = "import django\ndjango.setup()\n"
    return project_output(project, [PYTHON, "-c", prelude + code, *args])


@contextmanager
def server_process(
    cmd: Sequence[str], cwd: Path, env: dict[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until `ready_url` answers 200, stop it afterwards (output: `log`)."""
    with log.open("ab") as output:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output, stderr=output)
    try:
        try:
            wait_for_200(ready_url, SERVER_READY_TIMEOUT)
        except TimeoutError as error:
            raise RuntimeError(f"{' '.join(cmd)} did not start; see {log}") from error
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class WrkResult:
    requests: int  # responses wrk read, of any status
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def require_wrk() -> None:
    """Stop with instructions when the load generator is missing (before any setup runs)."""
    if shutil.which(WRK) is None:
        raise SystemExit(
            f"This benchmark drives the server with `{WRK}`, which is not installed. "
            "Install it (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk) and run "
            "it again."
        )


def wrk(url: str, seconds: int, connections: int, lua: str, workdir: Path) -> WrkResult:
    """Drive `url` for `seconds` over `connections` keep-alive connections; `lua` sets the
    request (wrk.method, wrk.body, wrk.headers, or a request() function)."""
    script = workdir / f"wrk_{secrets.token_hex(4)}.lua"
    script.write_text(lua + WRK_DONE.replace("{mark}", WRK_REPORT_MARK))
    output = subprocess.run(
        [
            WRK,
            f"--threads={min(WRK_THREADS, connections)}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={script}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith(WRK_REPORT_MARK))
    report = json.loads(line.removeprefix(WRK_REPORT_MARK))
    return WrkResult(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        non_2xx=report["non_2xx"],
        socket_errors=sum(report[kind] for kind in ("connect", "read", "write", "timeout")),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
    )


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


def wrk_post(path: str, body: str, tokens: Sequence[str]) -> str:
    """A wrk script that POSTs `body` as JSON to `path`, with `Bearer` keys taken in turn
    (each wrk thread starts at another one); one key: one static request."""
    if len(tokens) == 1:
        return (
            f'wrk.method = "POST"\nwrk.body = {lua_string(body)}\n'
            f'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = {lua_string("Bearer " + tokens[0])}\n'
        )
    listed = ",\n  ".join(lua_string(token) for token in tokens)
    return f"""
local tokens = {{
  {listed}
}}
local prepared = {{}}
local turn = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * math.floor(#tokens / {WRK_THREADS}))
end
function init(args)
  for i, token in ipairs(tokens) do
    prepared[i] = wrk.format("POST", {lua_string(path)}, {{
      ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"
    }}, {lua_string(body)})
  end
  turn = offset % #prepared
end
function request()
  turn = turn % #prepared + 1
  return prepared[turn]
end
"""


ACCOUNTS_CODE = """
import json, sys
from quickscale.apps.accounts.models import User
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.services import organization_personal_ensure

tokens = []
for email in sys.argv[1:]:
    user = User.objects.create_user(email=email, password=None)
    organization = organization_personal_ensure(user=user)
    credits_grant(
        organization=organization, amount={credits}, kind="payg", idempotency_key="bench:" + email
    )
    tokens.append(api_key_create(organization=organization, user=user, name="bench").token)
print(json.dumps(tokens))
"""
# Every organization but the baseline's, by slug: its person's address (a team has none), its
# ledger sum, book balance, debits and service runs by status.
LEDGER_CODE = """
import json
from django.db.models import Count
from quickscale.apps.credits.models import EntryKind, LedgerEntry
from quickscale.apps.credits.selectors import credit_book_balance, ledger_sum
from quickscale.apps.orgs.models import Organization
from quickscale.apps.services.models import ServiceRun

organizations = (
    Organization.objects.exclude(slug={baseline!r}).select_related("personal_owner").order_by("pk")
)
accounts = {{}}
for organization in organizations:
    owner = organization.personal_owner
    runs = ServiceRun.objects.filter(organization=organization).values_list("status")
    accounts[organization.slug] = {{
        "email": owner.email if owner is not None else "",
        "ledger_sum": ledger_sum(organization=organization),
        "book_balance": credit_book_balance(organization=organization),
        "debits": LedgerEntry.objects.filter(
            organization=organization, kind=EntryKind.DEBIT
        ).count(),
        "runs": dict(runs.annotate(n=Count("pk"))),
    }}
print(json.dumps(accounts))
"""


def api_accounts(project: Project, emails: Sequence[str], credits: int) -> list[str]:
    """Users whose personal organizations hold `credits` each, with one API key each (made by
    the user, in their personal organization); the keys' tokens, in order."""
    output = project_python(project, ACCOUNTS_CODE.format(credits=credits), *emails)
    tokens: list[str] = json.loads(output)
    return tokens


@dataclass(frozen=True)
class AccountCheck:
    organization: str  # slug
    email: str  # of the organization's person; empty for a team
    ledger_sum: int
    book_balance: int
    debits: int
    runs: dict[str, int]  # service runs by status

    @property
    def balanced(self) -> bool:
        return self.ledger_sum == self.book_balance


def ledger_checks(project: Project) -> list[AccountCheck]:
    """Every organization's ledger sum, book balance, debits and service runs, after a load
    test (the baseline's organization, which holds nothing, left out)."""
    code = LEDGER_CODE.format(baseline=BASELINE_ORGANIZATION_SLUG)
    accounts = json.loads(project_python(project, code))
    return [AccountCheck(organization=slug, **values) for slug, values in accounts.items()]
