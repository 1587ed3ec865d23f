"""A fixed-window request counter per key (or per signed-in user), kept in the cache so every
server shares it when the cache is Redis."""

from __future__ import annotations

import time

from django.core.cache import cache


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60). Units: s, m, h, d."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit.strip()[:1].lower()]
    return int(count), seconds


def rate_limit_retry_after(*, bucket: str, rate: str, now: float | None = None) -> int | None:
    """Count one request in `bucket`; return the seconds to wait when over the rate."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"quickscale:ratelimit:{bucket}:{window}"
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period + 1)
        count = 1
    if count > limit:
        return max(1, int(period - now % period))
    return None
