"""Signing events the way Stripe does, and sending them to webhook endpoints."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

Deliverer = Callable[[str, bytes, Mapping[str, str]], int]

DELIVERY_TIMEOUT = 30  # seconds; Stripe waits up to 30 s for a 2xx
CONNECTION_FAILED = 0  # the status recorded when nothing answered


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "t.body")>``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    payload = f"{stamp}.".encode() + body
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def http_deliverer(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST over real HTTP; the status, or 0 when nothing answered."""
    if urlsplit(url).scheme not in ("http", "https"):
        return CONNECTION_FAILED
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310  (http(s) only, checked)
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return CONNECTION_FAILED


def django_client_deliverer() -> Deliverer:
    """POST through Django's test client, in this process: for tests without a live server."""
    from django.test import Client

    client = Client(raise_request_exception=False)

    def deliver(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {key: value for key, value in headers.items() if key.lower() != "content-type"}
        response = client.post(
            path,
            data=body,
            content_type=headers.get("Content-Type", "application/json"),
            headers=extra,
        )
        return int(response.status_code)

    return deliver
