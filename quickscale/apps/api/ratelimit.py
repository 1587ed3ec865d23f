"""A fixed-window request counter per key (or per signed-in user), kept in the cache so every
server shares it when the cache is Redis.

When the cache does not answer, the limit fails open: the request goes on uncounted, a warning
is logged (when it starts, then once a minute) and `rate_limits_not_enforced` counts it (see
quickscale.degraded; /healthz shows it). A rate limit protects the service; it must not take
the service down with the cache.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.cache.backends.redis import RedisCache

from quickscale.cache import DegradingRedisCache
from quickscale.degraded import RATE_LIMITS_NOT_ENFORCED

logger = logging.getLogger(__name__)

# What a cache raises when it does not answer: redis-py's errors for Django's own Redis cache,
# socket errors for the others.
CACHE_ERRORS = (redis.RedisError, OSError)

# Count and set the window's expiry in one round trip, atomically.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_scripts: weakref.WeakKeyDictionary[BaseCache, Any] = weakref.WeakKeyDictionary()


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60). Units: s, m, h, d."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit.strip()[:1].lower()]
    return int(count), seconds


def _redis_count(backend: RedisCache, key: str, ttl: int) -> int:
    script = _scripts.get(backend)
    if script is None:
        # Django's Redis cache builds a client object on every call; one per cache (per thread,
        # as Django keeps caches) over the cache's own connection pool is enough.
        pool = backend._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]
        script = _scripts[backend] = redis.Redis(connection_pool=pool).register_script(
            _COUNT_SCRIPT
        )
    return int(script(keys=[backend.make_and_validate_key(key)], args=[ttl]))


def _generic_count(backend: BaseCache, key: str, ttl: int) -> int:
    backend.add(key, 0, ttl)
    try:
        return int(backend.incr(key))
    except ValueError:  # expired between add and incr
        backend.set(key, 1, ttl)
        return 1


def _count(backend: BaseCache, key: str, ttl: int) -> int | None:
    """The window's count with this request, or None when the cache does not answer."""
    if isinstance(backend, DegradingRedisCache):
        # Its back-off and outage accounting apply to the script as to any cache operation.
        return backend.guarded(lambda: _redis_count(backend, key, ttl), None)
    try:
        if isinstance(backend, RedisCache):
            return _redis_count(backend, key, ttl)
        return _generic_count(backend, key, ttl)
    except CACHE_ERRORS as error:
        logger.debug("Rate limit count failed: %s", error)
        return None


def rate_limit_retry_after(*, bucket: str, rate: str, now: float | None = None) -> int | None:
    """Count one request in `bucket`; return the seconds to wait when over the rate.

    None also when the cache does not answer: the limit fails open (see the module's doc)."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"quickscale:ratelimit:{bucket}:{window}"
    count = _count(caches[DEFAULT_CACHE_ALIAS], key, period + 1)
    if count is None:
        if RATE_LIMITS_NOT_ENFORCED.occurred():
            logger.warning(
                "API rate limits are not enforced: the cache does not answer. Requests are let "
                "through uncounted until it does (%d so far in this process).",
                RATE_LIMITS_NOT_ENFORCED.count,
            )
        return None
    if RATE_LIMITS_NOT_ENFORCED.ended() is not None:
        logger.info("API rate limits are enforced again: the cache answers.")
    if count > limit:
        return max(1, int(period - now % period))
    return None
