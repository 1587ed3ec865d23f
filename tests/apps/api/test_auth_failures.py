from django.core.cache import cache

from quickscale.apps.api.auth_failures import (
    BLOCK_KEY,
    NOT_BLOCKED_MEMO,
    auth_failure_record,
    auth_failures_blocked_for,
)

NOW = 60 * 20_000_000 + 10.0  # 10 s into a minute


def test_the_failure_past_the_limit_blocks_until_the_window_ends(settings):
    settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = "2/m"
    assert [auth_failure_record(client="a", now=NOW) for _ in range(3)] == [None, None, 50]
    assert auth_failures_blocked_for(client="a", now=NOW + 1) == 49
    assert auth_failures_blocked_for(client="b", now=NOW + 1) is None


def test_a_block_set_by_another_server_is_seen_within_the_memo_time():
    assert auth_failures_blocked_for(client="c", now=NOW) is None
    # Another server saw the failures and stored the block in the shared cache.
    cache.set(BLOCK_KEY.format(client="c"), NOW + 30, 60)
    assert auth_failures_blocked_for(client="c", now=NOW + NOT_BLOCKED_MEMO / 2) is None
    assert auth_failures_blocked_for(client="c", now=NOW + NOT_BLOCKED_MEMO) == 29
