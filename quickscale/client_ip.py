"""Which address a request comes from: the one rule that allauth's rate limits (through the
account adapter) and the API's limit on failed key checks both use.

It reads allauth's own settings, so a project configures it once:
- ALLAUTH_TRUSTED_PROXY_COUNT (default 0): how many proxies in front of Django append the address
  they saw to X-Forwarded-For. With 0 the header is ignored (anyone can write it) and the peer
  address, REMOTE_ADDR, is the client. With N, the N-th entry from the right is: the entries
  left of it were written by the client and prove nothing.
- ALLAUTH_TRUSTED_CLIENT_IP_HEADER (default None): a header a trusted proxy sets to the client
  address (CF-Connecting-IP, X-Real-IP); it wins over both.

Where allauth's own rule has an answer this one gives the same (a parity test holds them
together); where X-Forwarded-For has fewer entries than the count (a request that skipped the
outer proxy) allauth raises ImproperlyConfigured, a 500, and this rule takes the leftmost entry,
which a trusted proxy wrote.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

DEFAULT_IPV6_PREFIX = 64  # allauth's ALLAUTH_RATE_LIMIT_IPV6_PREFIX default: one /64 is one client
UNKNOWN = "unknown"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, normalised (no port, IPv6 compressed), or None when the trusted
    source holds no address."""
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _address(request.headers.get(header))
    count = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0))
    forwarded = request.headers.get("x-forwarded-for")
    if count > 0 and forwarded:
        entries = forwarded.split(",")
        return _address(entries[-min(count, len(entries))])
    return _address(request.META.get("REMOTE_ADDR"))


def client_ip_rate_key(request: HttpRequest) -> str:
    """What a per-client rate limit counts under: the address, an IPv6 client's network (it
    holds the whole /64 and could rotate through it), or one shared 'unknown' bucket."""
    address = client_ip(request)
    if address is None:
        return UNKNOWN
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        prefix = int(getattr(settings, "ALLAUTH_RATE_LIMIT_IPV6_PREFIX", DEFAULT_IPV6_PREFIX))
        return str(ipaddress.IPv6Network(f"{parsed}/{prefix}", strict=False).network_address)
    return address


def _address(value: str | None) -> str | None:
    """`value` as an address without its port ("203.0.113.9:443", "[2001:db8::1]:443"), or
    None when it is not one."""
    value = (value or "").strip()
    if value.startswith("["):
        value, bracket, port = value[1:].partition("]")
        if not bracket or (port and not (port.startswith(":") and port[1:].isdecimal())):
            return None
    elif value.count(":") == 1:
        value, _, port = value.partition(":")
        if not port.isdecimal():
            return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
