"""Which address a request comes from, behind zero or more trusted proxies."""

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.internal import httpkit
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings

from quickscale.client_ip import client_ip, client_ip_rate_key

PROXY = "10.0.0.2"


def request(xff=None, remote=PROXY, **headers):
    meta = {"REMOTE_ADDR": remote, **headers}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


def test_with_no_trusted_proxy_the_peer_address_counts_and_x_forwarded_for_is_ignored():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=0):
        assert client_ip(request(xff="198.51.100.7", remote="203.0.113.9")) == "203.0.113.9"


def test_the_rule_reads_the_count_lazily_and_defaults_to_no_proxy(settings):
    del settings.ALLAUTH_TRUSTED_PROXY_COUNT
    assert client_ip(request(xff="198.51.100.7", remote="203.0.113.9")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        # One proxy appends the address it saw; whatever the client wrote before it is ignored.
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),
        (1, "forged, 1.2.3.4,203.0.113.9", "203.0.113.9"),
        # A CDN then a load balancer: the CDN saw the client, the balancer saw the CDN.
        (2, "198.51.100.7, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # Fewer entries than proxies (a request that skipped the outer one): the outermost
        # entry a trusted proxy wrote, not a 500.
        (3, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "203.0.113.9:51234", "203.0.113.9"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_x_forwarded_for_is_counted_from_the_right_by_the_trusted_count(count, xff, expected):
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=count):
        assert client_ip(request(xff=xff)) == expected


def test_a_request_that_reached_django_without_the_proxy_is_known_by_its_peer_address():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request(remote="203.0.113.9")) == "203.0.113.9"


@pytest.mark.parametrize("xff", ["not an address", " , ", "203.0.113.9, nonsense"])
def test_an_entry_that_is_not_an_address_gives_no_address(xff):
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request(xff=xff)) is None


def test_a_trusted_client_ip_header_wins_as_in_allauth():
    with override_settings(
        ALLAUTH_TRUSTED_CLIENT_IP_HEADER="CF-Connecting-IP", ALLAUTH_TRUSTED_PROXY_COUNT=1
    ):
        assert client_ip(request(xff="9.9.9.9", HTTP_CF_CONNECTING_IP="203.0.113.9")) == (
            "203.0.113.9"
        )
        assert client_ip(request(xff="9.9.9.9")) is None


@pytest.mark.parametrize(
    ("count", "header", "meta"),
    [
        (0, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}),
        (2, None, {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 10.0.0.7"}),
        (1, None, {}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": "nonsense"}),
        (1, None, {"HTTP_X_FORWARDED_FOR": ""}),
        (0, "X-Real-IP", {"HTTP_X_REAL_IP": "203.0.113.9"}),
    ],
)
def test_the_rule_agrees_with_allauth_s_own_where_allauth_s_has_an_answer(count, header, meta):
    with override_settings(
        ALLAUTH_TRUSTED_PROXY_COUNT=count, ALLAUTH_TRUSTED_CLIENT_IP_HEADER=header
    ):
        r = RequestFactory().get("/", REMOTE_ADDR=PROXY, **meta)
        assert client_ip(r) == httpkit.get_client_ip(r)


def test_allauth_asks_the_same_rule_and_refuses_a_request_with_no_address():
    adapter = get_adapter()
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=3):
        # allauth's own function raises ImproperlyConfigured here (a 500 for the visitor).
        assert adapter.get_client_ip(request(xff="203.0.113.9, 10.0.0.7")) == "203.0.113.9"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1), pytest.raises(PermissionDenied):
        adapter.get_client_ip(request(xff="nonsense"))


def test_rate_limits_count_an_ipv6_client_by_its_network_as_allauth_does():
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        a = client_ip_rate_key(request(xff="2001:db8:1:2::1"))
        b = client_ip_rate_key(request(xff="2001:db8:1:2:ffff::9"))
        other = client_ip_rate_key(request(xff="2001:db8:1:3::1"))
        v4 = client_ip_rate_key(request(xff="203.0.113.9"))
    assert a == b == "2001:db8:1:2::"
    assert other != a
    assert v4 == "203.0.113.9"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1, ALLAUTH_RATE_LIMIT_IPV6_PREFIX=128):
        assert client_ip_rate_key(request(xff="2001:db8:1:2::1")) == "2001:db8:1:2::1"
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert client_ip_rate_key(request(xff="nonsense")) == "unknown"
