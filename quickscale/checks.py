"""System checks for settings that work on one machine but not behind a load balancer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from quickscale.conf import app_settings

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
CONSOLE_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
# Caches that raise when Redis does not answer, so that an outage turns every request that
# touches the cache (logins, API calls) into an error.
FAILING_REDIS_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "django_redis.cache.RedisCache",
)
DEGRADING_REDIS_CACHE = "quickscale.cache.DegradingRedisCache"
CACHE_ONLY_SESSIONS = "django.contrib.sessions.backends.cache"
PSYCOPG_POOL_DEFAULT_SIZE = 4  # psycopg_pool's min_size, and max_size when none is given
CONNECT_TIMEOUT = 5  # seconds: the check must not hang on a database that does not answer
CONNECTION_LIMIT = """
SELECT current_setting('max_connections')::int,
       current_setting('superuser_reserved_connections')::int,
       coalesce(current_setting('reserved_connections', true), '0')::int
"""
CONSOLE_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.caches, deploy=True)
def check_shared_cache(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                "The default cache lives inside each server process, so rate limits and "
                "cached pages are not shared between servers.",
                hint="Set REDIS_URL (for example redis://127.0.0.1:6379/0).",
                id="quickscale.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_email_delivered(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if settings.EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS:
        return [
            Warning(
                "E-mail is not delivered: verification and password-reset messages go nowhere.",
                hint="Set EMAIL_URL (for example smtp+tls://user:password@smtp.example.com:587).",
                id="quickscale.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_email_verification_mandatory(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    verification = getattr(settings, "ACCOUNT_EMAIL_VERIFICATION", "optional")
    if verification != "mandatory":
        return [
            Warning(
                f"ACCOUNT_EMAIL_VERIFICATION is {verification!r}: anyone can sign up with "
                "an address they do not own.",
                hint="Unset ACCOUNT_EMAIL_VERIFICATION in production (it defaults to mandatory).",
                id="quickscale.W003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_sender_address(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if settings.DEFAULT_FROM_EMAIL.rstrip(">").endswith("@localhost"):
        return [
            Warning(
                f"E-mails are sent from {settings.DEFAULT_FROM_EMAIL}, which mail servers "
                "reject or file as spam.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your domain.",
                id="quickscale.W004",
            )
        ]
    return []


CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")


@register(Tags.security, deploy=True)
def check_content_security_policy(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not (policy or report_only):
        return [
            Warning(
                "No Content-Security-Policy is sent: an injected <script> would run.",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and CONTENT_SECURITY_POLICY as "
                "settings.py has them (docs/project.md, Content-Security-Policy).",
                id="quickscale.W030",
            )
        ]
    messages: list[CheckMessage] = []
    if not policy:
        messages.append(
            Warning(
                "The Content-Security-Policy is report-only (CSP_REPORT_ONLY): violations are "
                "reported, not blocked.",
                hint="Unset CSP_REPORT_ONLY once the reports are clean.",
                id="quickscale.W031",
            )
        )
    sent: dict[str, Any] = policy or report_only or {}
    directives = sent.get("DIRECTIVES", {})
    scripts = directives.get("script-src") or directives.get("default-src") or []
    allowed = [source for source in UNSAFE_SCRIPT_SOURCES if source in scripts]
    if allowed:
        messages.append(
            Warning(
                f"The Content-Security-Policy's script-src allows {', '.join(allowed)}: an "
                "injected script would run.",
                hint="Move inline scripts to static files, or give them "
                'nonce="{{ request.csp_nonce }}"; the shipped pages need neither eval nor '
                "inline script.",
                id="quickscale.W032",
            )
        )
    return messages


@register()
def check_service_time_limits(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    from quickscale.apps.services.registry import registry

    errors: list[CheckMessage] = []
    for service in registry:
        try:
            service.time_limit()
        except ValueError as error:
            errors.append(
                Error(
                    str(error),
                    hint="Set QUICKSCALE_SERVICE_TIMEOUT (SERVICE_TIMEOUT in .env) or the "
                    "service's timeout to a number of seconds, such as 30.",
                    obj=type(service),
                    id="quickscale.E050",
                )
            )
    return errors


@register(Tags.security)
def check_trusted_proxy_count(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return [
            Error(
                f"ALLAUTH_TRUSTED_PROXY_COUNT is {count!r}; it must be a whole number of proxies "
                "(0 or more).",
                hint="Set TRUSTED_PROXY_COUNT to how many proxies in front of Django append to "
                "X-Forwarded-For, for example 1 for one load balancer.",
                id="quickscale.E010",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_trusted_proxy_count_behind_a_proxy(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))
    told = hasattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT") or getattr(
        settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None
    )
    if behind_proxy and not told:
        return [
            Warning(
                "Django is set up behind an https proxy (SECURE_PROXY_SSL_HEADER), but not told "
                "how many proxies append to X-Forwarded-For, so every client seems to come "
                "from the proxy's address: ten failed log-ins from anyone lock everyone out, "
                "and the API's limit on failed keys is shared by all clients.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of Django (1 for "
                "one load balancer), or to 0 if the server already gives the client's address "
                "as REMOTE_ADDR; set BEHIND_HTTPS_PROXY=False if there is no proxy.",
                id="quickscale.W010",
            )
        ]
    return []


RATE_SETTINGS = ("API_RATE_LIMIT", "API_AUTH_FAILURE_RATE_LIMIT")


@register(Tags.security)
def check_api_rates(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    from quickscale.apps.api.ratelimit import parse_rate
    from quickscale.conf import app_settings

    errors: list[CheckMessage] = []
    for name in RATE_SETTINGS:
        rate = getattr(app_settings, name)
        try:
            count, _ = parse_rate(rate)
        except (AttributeError, KeyError, ValueError):
            count = 0
        if count < 1:
            errors.append(
                Error(
                    f"QUICKSCALE_{name} is {rate!r}, which is not a rate; every API request "
                    "would fail on it.",
                    hint="Write it as a count of 1 or more per unit: N/s, N/m, N/h or N/d "
                    "(for example 120/m).",
                    id="quickscale.E011",
                )
            )
    return errors


@register(Tags.caches, deploy=True)
def check_cache_degrades(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    ignored = backend == "django_redis.cache.RedisCache" and getattr(
        settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False
    )
    if backend in FAILING_REDIS_CACHES and not ignored:
        return [
            Warning(
                f"The cache ({backend}) raises when Redis does not answer: an outage turns "
                "logins, sign-ups, password resets and API calls into server errors.",
                hint=f"Use BACKEND {DEGRADING_REDIS_CACHE!r} (the generated settings do when "
                "REDIS_URL is set): it answers as an empty cache while Redis is down, so rate "
                "limits let requests through and nothing else fails.",
                id="quickscale.W020",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_sessions_outlive_the_cache(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if settings.SESSION_ENGINE == CACHE_ONLY_SESSIONS:
        return [
            Warning(
                "Sessions live only in the cache: when Redis restarts or does not answer, "
                "everyone is signed out and nobody can sign in.",
                hint="Keep them in the database: SESSION_ENGINE = "
                "'django.contrib.sessions.backends.db' (or 'cached_db').",
                id="quickscale.W021",
            )
        ]
    return []


def _connections_per_process(database: BaseDatabaseWrapper) -> int:
    """The most connections one worker process opens: its pool's size, or one per thread."""
    pool = database.settings_dict.get("OPTIONS", {}).get("pool")
    if pool is True:
        return PSYCOPG_POOL_DEFAULT_SIZE
    if isinstance(pool, dict):
        return int(pool.get("max_size") or pool.get("min_size", PSYCOPG_POOL_DEFAULT_SIZE))
    return int(app_settings.WEB_THREADS)


def _connection_limit(database: BaseDatabaseWrapper) -> tuple[int, int] | None:
    """PostgreSQL's max_connections and the slots it keeps for superusers (and, from 16 on, for
    pg_use_reserved_connections); None when the database does not answer."""
    params = {"connect_timeout": CONNECT_TIMEOUT, **database.get_connection_params()}
    try:
        # A connection of its own: the project's pool would open, and stay open, for a check.
        with psycopg.connect(**params) as connection:
            row = connection.execute(CONNECTION_LIMIT).fetchone()
    except (psycopg.Error, OSError):
        return None
    assert row is not None
    limit, superuser, reserved = row
    return int(limit), int(superuser) + int(reserved)


@register(Tags.database, deploy=True)
def check_database_connections(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    servers, workers = int(app_settings.WEB_SERVERS), int(app_settings.WEB_WORKERS)
    messages: list[CheckMessage] = []
    for alias in connections:
        database = connections[alias]
        if database.vendor != "postgresql":
            continue
        per_process = _connections_per_process(database)
        wanted = servers * workers * per_process
        limit = _connection_limit(database)
        if limit is None:
            continue  # unreachable here (an image build, say): nothing to compare with
        max_connections, reserved = limit
        accepted = max_connections - reserved
        if wanted > accepted:
            messages.append(
                Warning(
                    f"The app servers can open {wanted} connections to database {alias!r} "
                    f"({servers} server{'s' if servers != 1 else ''} x {workers} workers x "
                    f"{per_process} connections), "
                    f"but PostgreSQL takes {accepted} ({max_connections} max_connections, "
                    f"{reserved} reserved for superusers): at peak, requests fail with "
                    "'too many clients'.",
                    hint="Set WEB_SERVERS to the number of app servers, then lower "
                    "WEB_CONCURRENCY or GUNICORN_THREADS (or DATABASE_POOL_MAX_SIZE), raise "
                    "max_connections, or put PgBouncer in front. Celery workers, cron jobs and "
                    "migrations need connections too.",
                    id="quickscale.W022",
                )
            )
    return messages


API_ERROR_MIDDLEWARE = "quickscale.apps.api.middleware.ApiErrorMiddleware"
# Middleware that reads or answers API requests: an exception or error page from one of them
# is JSON only when ApiErrorMiddleware wraps it.
_READS_REQUESTS = ("django.", "allauth.", "whitenoise.", "quickscale.")


@register(Tags.compatibility)
def check_api_error_middleware(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    hint = f"Put {API_ERROR_MIDDLEWARE!r} first in MIDDLEWARE."
    if API_ERROR_MIDDLEWARE not in middleware:
        return [
            Warning(
                "ApiErrorMiddleware is not installed: errors under the API's path are answered "
                "with HTML pages, not JSON.",
                hint=hint,
                id="quickscale.W040",
            )
        ]
    before = middleware[: middleware.index(API_ERROR_MIDDLEWARE)]
    if wrapped := [name for name in before if name.startswith(_READS_REQUESTS)]:
        return [
            Warning(
                f"ApiErrorMiddleware comes after {', '.join(wrapped)}: their errors under the "
                "API's path are answered with HTML pages, not JSON.",
                hint=hint,
                id="quickscale.W040",
            )
        ]
    return []


@register(Tags.compatibility)
def check_service_costs(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    from quickscale.apps.credits.models import MAX_CREDITS
    from quickscale.apps.services.registry import registry

    return [
        Error(
            f"The service {service.name!r} costs {service.cost!r}: a cost is a whole number of "
            f"credits from 0 to {MAX_CREDITS:,}, and every call of it would fail.",
            hint=f"Set {type(service).__name__}.cost to a whole number in that range.",
            obj=type(service),
            id="quickscale.E040",
        )
        for service in registry
        if isinstance(service.cost, bool)
        or not isinstance(service.cost, int)
        or not 0 <= service.cost <= MAX_CREDITS
    ]
