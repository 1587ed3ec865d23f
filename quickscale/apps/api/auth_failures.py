"""A limit on failed API-key authentications per client address.

Past QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT failures in a window, a client is refused before
its key is even checked until the window ends: answering a right key with 200 while refusing
wrong ones would still tell a guesser which guess was right. Successful authentications never
count. The client is `client_ip_rate_key`: behind trusted proxies, the real client, so one
client guessing keys does not lock out the others behind the same proxy.

Failures are counted in the shared cache every time. Whether a client is blocked is read from
it too, but a server that has just seen a client unblocked trusts that for NOT_BLOCKED_MEMO
seconds, so a busy client's successful calls do not each pay a cache round trip for a block
that almost never exists; a block another server set reaches this one within that time.
"""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache

from quickscale.apps.api.ratelimit import rate_limit_retry_after
from quickscale.conf import app_settings

logger = logging.getLogger(__name__)

BLOCK_KEY = "quickscale:api-auth-blocked:{client}"
NOT_BLOCKED_MEMO = 1.0  # seconds
MEMO_SIZE = 10_000  # clients remembered per process before the memo starts over
_not_blocked_at: dict[str, float] = {}


def auth_failures_blocked_for(*, client: str, now: float | None = None) -> int | None:
    """Seconds until `client` may try a key again, or None when it is not blocked."""
    now = time.time() if now is None else now
    seen = _not_blocked_at.get(client)
    if seen is not None and 0 <= now - seen < NOT_BLOCKED_MEMO:
        return None
    try:
        until: float | None = cache.get(BLOCK_KEY.format(client=client))
    except Exception:
        # Like every rate limit here: without the cache, let the request through.
        logger.warning("API key failure limit: the cache is not answering; not enforced")
        return None
    if until is None or until <= now:
        if len(_not_blocked_at) >= MEMO_SIZE:
            _not_blocked_at.clear()
        _not_blocked_at[client] = now
        return None
    return max(1, math.ceil(until - now))


def auth_failure_record(*, client: str, now: float | None = None) -> int | None:
    """Count one failed authentication by `client`; the seconds it is now blocked for when this
    one went past the limit."""
    now = time.time() if now is None else now
    retry_after = rate_limit_retry_after(
        bucket=f"api-auth-failures:{client}",
        rate=app_settings.API_AUTH_FAILURE_RATE_LIMIT,
        now=now,
    )
    if retry_after is None:
        return None
    _not_blocked_at.pop(client, None)
    try:
        cache.set(BLOCK_KEY.format(client=client), now + retry_after, retry_after)
    except Exception:
        logger.warning("API key failure limit: the cache is not answering; block not stored")
    return retry_after
