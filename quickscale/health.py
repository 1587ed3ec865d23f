"""`/healthz`: what a load balancer asks before it sends traffic to this server.

Besides each part's state it shows what this process went without since it started
(quickscale.degraded), such as requests let through uncounted while the cache was down.
"""

from __future__ import annotations

import logging

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from quickscale.cache import DegradingRedisCache
from quickscale.degraded import degraded_counts

logger = logging.getLogger(__name__)

CACHE_PROBE_KEY = "quickscale:healthz"
CACHE_PROBE_TIMEOUT = 10  # seconds


def _database_ok(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except DatabaseError:
        logger.exception("Health check: database %r is not answering", alias)
        return False


def _cache_ok() -> bool:
    cache = caches[DEFAULT_CACHE_ALIAS]
    try:
        if isinstance(cache, DegradingRedisCache):
            # Past the answers it makes up while Redis is down, to Redis itself.
            return cache.probe(CACHE_PROBE_KEY, "ok", CACHE_PROBE_TIMEOUT)
        cache.set(CACHE_PROBE_KEY, "ok", CACHE_PROBE_TIMEOUT)
        return bool(cache.get(CACHE_PROBE_KEY) == "ok")
    except Exception as error:
        # No traceback: a load balancer asks every few seconds, and the cause is all there is.
        logger.warning(
            "Health check: the cache is not answering (%s: %s)", type(error).__name__, error
        )
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {f"database:{alias}": _database_ok(alias) for alias in connections}
    checks["cache"] = _cache_ok()
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": {name: "ok" if ok else "error" for name, ok in checks.items()},
            "degraded": degraded_counts(),
        },
        status=200 if healthy else 503,
    )
