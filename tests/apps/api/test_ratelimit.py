import threading

import pytest
from django.core.cache import cache
from django.test import override_settings

from quickscale.apps.api.ratelimit import parse_rate, rate_limit_retry_after


def test_rates_are_read_in_seconds_minutes_hours_and_days():
    assert parse_rate("120/m") == (120, 60)
    assert parse_rate("5/s") == (5, 1)
    assert parse_rate("1000/hour") == (1000, 3600)
    assert parse_rate("10/d") == (10, 86400)


def test_over_the_rate_waits_until_the_window_ends():
    now = 60 * 16_667 + 20.0  # 20 s into a minute
    results = [rate_limit_retry_after(bucket="b", rate="2/m", now=now) for _ in range(3)]
    assert results == [None, None, 40]
    assert rate_limit_retry_after(bucket="b", rate="2/m", now=now + 40) is None


def test_on_redis_the_count_is_one_shared_key_that_expires(redis_cache):
    client, prefix = redis_cache
    scripts_before = _script_calls(client)
    now = 60 * 16_667 + 20.0
    assert rate_limit_retry_after(bucket="key:1", rate="3/m", now=now) is None

    # Another thread has its own cache object (as another server would have): same counter.
    def elsewhere():
        for _ in range(2):
            assert rate_limit_retry_after(bucket="key:1", rate="3/m", now=now) is None

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert rate_limit_retry_after(bucket="key:1", rate="3/m", now=now) == 40
    (key,) = client.scan_iter(f"{prefix}:*")
    assert int(client.get(key)) == 4
    assert 0 < client.ttl(key) <= 61
    assert cache.get(f"quickscale:ratelimit:key:1:{int(now // 60)}") == 4
    # Each count was one script call: one round trip, atomic.
    assert _script_calls(client) - scripts_before >= 4


def _script_calls(client):
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def test_the_api_answers_429_when_the_redis_count_is_over(redis_cache, api, customer):
    with override_settings(QUICKSCALE_API_RATE_LIMIT="2/d"):
        statuses = [api.get("/api/v1/credits/balance").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.redis.RedisCache", "quickscale.cache.DegradingRedisCache"],
)
def test_the_limit_fails_open_with_a_warning_when_the_cache_does_not_answer(backend, caplog):
    from quickscale.degraded import RATE_LIMITS_NOT_ENFORCED
    from tests.servers import free_port

    nothing_there = {
        "default": {"BACKEND": backend, "LOCATION": f"redis://127.0.0.1:{free_port()}/13"}
    }
    before = RATE_LIMITS_NOT_ENFORCED.count
    RATE_LIMITS_NOT_ENFORCED.ended()  # as after a count that worked: the next failure warns
    with override_settings(CACHES=nothing_there), caplog.at_level("WARNING"):
        results = [rate_limit_retry_after(bucket="key:1", rate="1/m") for _ in range(5)]
    assert results == [None] * 5
    assert RATE_LIMITS_NOT_ENFORCED.count - before == 5
    assert any("rate limits are not enforced" in r.getMessage() for r in caplog.records)
