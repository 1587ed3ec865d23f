"""Django's Redis cache, made to degrade instead of fail: while Redis does not answer, every
operation answers as an empty cache would (a miss, a write that keeps nothing), with a logged
warning and a count (`quickscale.degraded`), and Redis is left alone for a short back-off so
that a dead or hung Redis costs one timeout per back-off and process, not one per request.

What that means for the callers: rate limits kept in the cache count nothing and let requests
through (fail open), `add()` answers True (allauth's rate-limit lock and the API key form's
double-submit guard then let the request go on), `incr()` counts from zero. `/healthz` asks
Redis itself through `probe()`, which the back-off does not apply to, so it still reports the
outage (503) and ends the back-off as soon as Redis answers again.

Use it in CACHES: {"BACKEND": "quickscale.cache.DegradingRedisCache", "LOCATION": REDIS_URL,
"OPTIONS": {...}}. OPTIONS may hold "backoff" (seconds) beside redis-py's connection options.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from quickscale.degraded import CACHE_ERRORS, RATE_LIMITS_NOT_ENFORCED

logger = logging.getLogger(__name__)

T = TypeVar("T")
BACKOFF = 2.0  # seconds without a try after Redis failed to answer
CONNECT_TIMEOUT = 1.0  # seconds; Redis on the same network answers in well under a millisecond
SOCKET_TIMEOUT = 1.0  # seconds for an answer to one command
# allauth keeps each rate limit's history under a key of this form (allauth/core/internal/
# ratelimit.py, get_cache_key); reading it is one rate-limit check. tests/test_cache.py sees a
# change of the format as a counter that stays at zero while allauth's limits are let through.
ALLAUTH_RATE_LIMIT_PREFIX = "allauth:rl:"


class _Outage:
    """Whether one Redis answers, shared by the cache objects of every thread (Django keeps one
    per thread), so that one failure spares the other threads the same wait."""

    def __init__(self, where: str, backoff: float) -> None:
        self.where = where
        self.backoff = backoff
        self.error = ""
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    def should_try(self) -> bool:
        if not self._down:  # the common case, without the lock
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            # This caller tries; the others keep answering from nothing until it knows.
            self._retry_at = now + self.backoff
            return True

    def failed(self, error: Exception) -> None:
        with self._lock:
            self._down = True
            self._retry_at = time.monotonic() + self.backoff
            self.error = f"{type(error).__name__}: {error}"

    def answered(self) -> None:
        if not self._down:
            return
        with self._lock:
            self._down = False
        lasted = CACHE_ERRORS.ended()
        RATE_LIMITS_NOT_ENFORCED.ended()
        logger.info(
            "The cache at %s answers again%s; rate limits are enforced again.",
            self.where,
            f" after {lasted:.1f} s" if lasted is not None else "",
        )


_outages: dict[tuple[str, ...], _Outage] = {}
_outages_lock = threading.Lock()


def _where(servers: Iterable[str]) -> str:
    # Host and port only: a Redis URL may carry a password.
    places = []
    for server in servers:
        parts = urlsplit(server)
        places.append(f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else server)
    return ", ".join(places)


def _outage_for(servers: list[str], backoff: float) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(tuple(servers), _Outage(_where(servers), backoff))


class DegradingRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        backoff = float(options.pop("backoff", BACKOFF))
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        servers = re.split("[;,]", server) if isinstance(server, str) else list(server)
        self._outage = _outage_for(servers, backoff)

    def guarded(self, operation: Callable[[], T], fallback: T, *, key: str | None = None) -> T:
        """`operation()` against Redis, or `fallback` while Redis does not answer; for code
        that talks to Redis through this cache's connections (quickscale.apps.api.ratelimit)."""
        if not self._outage.should_try():
            self._went_without(key)
            return fallback
        try:
            result = operation()
        except redis.RedisError as error:
            self._outage.failed(error)
            self._went_without(key)
            return fallback
        self._outage.answered()
        return result

    def probe(self, key: str, value: Any, timeout: int) -> bool:
        """Write and read `key` on Redis now, whatever the back-off: for the health check.
        Raises what Redis raises; an answer ends the back-off at once."""
        try:
            super().set(key, value, timeout)
            answered = bool(super().get(key) == value)
        except redis.RedisError as error:
            self._outage.failed(error)
            raise
        self._outage.answered()
        return answered

    def _went_without(self, key: str | None) -> None:
        if CACHE_ERRORS.occurred():
            logger.warning(
                "The cache at %s does not answer (%s): it answers as an empty cache, and rate "
                "limits kept in it are not enforced, until it does; it is tried again every "
                "%s s. %d cache operations answered so far in this process.",
                self._outage.where,
                self._outage.error,
                self._outage.backoff,
                CACHE_ERRORS.count,
            )
        rate_limit = bool(key and key.startswith(ALLAUTH_RATE_LIMIT_PREFIX))
        if rate_limit and not str(key).endswith(":lock") and RATE_LIMITS_NOT_ENFORCED.occurred():
            logger.warning(
                "allauth's rate limits (logins, sign-ups, password resets) are not enforced: "
                "the cache at %s does not answer.",
                self._outage.where,
            )

    # Every operation of Django's RedisCache, through guarded(). The async ones (aget, ...)
    # are Django's sync_to_async wrappers of these.

    def add(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        # As if the key were absent: the caller goes on as it would with an empty cache.
        return self.guarded(lambda: RedisCache.add(self, key, value, timeout, version), True)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self.guarded(
            lambda: RedisCache.get(self, key, default, version),
            default,
            key=key if isinstance(key, str) else None,
        )

    def set(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self.guarded(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self.guarded(lambda: RedisCache.touch(self, key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self.guarded(lambda: RedisCache.delete(self, key, version), False)

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        keys = list(keys)
        return self.guarded(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self.guarded(lambda: RedisCache.has_key(self, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # As if the count started now: `add(key, 0)` then `incr(key)` counts 1, not an error.
        return self.guarded(lambda: RedisCache.incr(self, key, delta, version), delta)

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: Any = None,
    ) -> list[Any]:
        # Django's contract: the keys that were not stored.
        return self.guarded(lambda: RedisCache.set_many(self, data, timeout, version), list(data))

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        keys = list(keys)
        self.guarded(lambda: RedisCache.delete_many(self, keys, version), None)

    def clear(self) -> None:
        self.guarded(lambda: RedisCache.clear(self), None)
