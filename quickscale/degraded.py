"""What this process went without, and how often: the counters `/healthz` shows.

A dependency going away (Redis, for now) degrades the site instead of breaking it; each way of
degrading is counted here, so that an operator can see it happened, and tells its callers when
to log a warning: when it starts, then at most once a minute while it lasts.
"""

from __future__ import annotations

import threading
import time

WARNING_INTERVAL = 60.0  # seconds between two warnings about one degradation that lasts

_registry: dict[str, Degradation] = {}


class Degradation:
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0  # since the process started
        self._lock = threading.Lock()
        self._since: float | None = None  # time.monotonic() when it started; None: all well
        self._warned_at = 0.0
        _registry[name] = self

    def occurred(self) -> bool:
        """Count one occurrence; True when the caller should log a warning about it."""
        with self._lock:
            self.count += 1
            now = time.monotonic()
            if self._since is None:
                self._since = now
            elif now - self._warned_at < WARNING_INTERVAL:
                return False
            self._warned_at = now
            return True

    def ended(self) -> float | None:
        """All is well again: for how many seconds it was not, or None when it already was."""
        if self._since is None:  # the common case, without the lock
            return None
        with self._lock:
            if self._since is None:
                return None
            lasted = time.monotonic() - self._since
            self._since = None
            return lasted


def degraded_counts() -> dict[str, int]:
    return {name: degradation.count for name, degradation in _registry.items()}


# Cache operations answered as an empty cache would, because the cache did not answer.
CACHE_ERRORS = Degradation("cache_errors")
# Requests let through without counting them against a rate limit (the API's or allauth's),
# because the cache that holds the counts did not answer.
RATE_LIMITS_NOT_ENFORCED = Degradation("rate_limits_not_enforced")
