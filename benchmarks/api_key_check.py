"""Time to verify an API key's secret, against Django's default `check_password` on a PBKDF2
hash of the same secret, in the same process.

Both are timed on a right secret and on a wrong one (a wrong one must not be cheaper: the fast
hasher compares in constant time). The key path is QuickScale's `secret_verify`, which the
middleware calls for every request; Django's is what a key stored as a password would cost.
"""

from __future__ import annotations

import secrets
import statistics
import string
import time
from collections.abc import Callable

import django
from django.conf import settings

SECRET_LENGTH = 32
ALPHABET = string.ascii_letters + string.digits
FAST_CALLS = 20_000  # per sample
SLOW_CALLS = 1  # per sample
SAMPLES = 7
GOAL = 1_000  # times faster


def per_call(check: Callable[[], object], calls: int) -> float:
    """Median over SAMPLES of the seconds one call takes, timed over `calls` calls."""
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        for _ in range(calls):
            check()
        samples.append((time.perf_counter() - started) / calls)
    return statistics.median(samples)


def main() -> None:
    settings.configure()  # Django's defaults: PBKDF2 first in PASSWORD_HASHERS
    django.setup()
    from django.contrib.auth.hashers import check_password, make_password

    from quickscale.apps.keys.hashers import secret_hash, secret_verify

    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    wrong = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    fast, slow = secret_hash(secret), make_password(secret)
    assert secret_verify(secret, fast) == (True, False)
    assert secret_verify(wrong, fast) == (False, False)
    assert check_password(secret, slow) and not check_password(wrong, slow)
    timings = {
        "quickscale secret_verify, right secret": per_call(
            lambda: secret_verify(secret, fast), FAST_CALLS
        ),
        "quickscale secret_verify, wrong secret": per_call(
            lambda: secret_verify(wrong, fast), FAST_CALLS
        ),
        "django check_password (PBKDF2), right": per_call(
            lambda: check_password(secret, slow), SLOW_CALLS
        ),
        "django check_password (PBKDF2), wrong": per_call(
            lambda: check_password(wrong, slow), SLOW_CALLS
        ),
    }
    print(f"hashes: {fast.split('$')[0]} and {slow.split('$')[0]} ({slow.split('$')[1]} rounds)")
    for label, seconds in timings.items():
        print(f"{label:40s} {seconds * 1e6:12,.1f} µs per call")
    values = list(timings.values())
    ratio = min(values[2:]) / max(values[:2])
    print(
        f"ratio (django check_password / quickscale secret_verify): {ratio:,.0f}x "
        f"(slowest fast check against fastest slow one); goal: at least {GOAL:,d}x: "
        f"{'met' if ratio >= GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
