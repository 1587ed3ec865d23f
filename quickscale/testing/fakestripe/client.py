"""The stripe SDK's HTTP client, answered in-process by a FakeStripe."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import stripe

if TYPE_CHECKING:
    from quickscale.testing.fakestripe.fake import FakeStripe


class FakeHTTPClient(stripe.HTTPClient):
    name = "quickscale-fakestripe"

    def __init__(self, fake: FakeStripe) -> None:
        super().__init__()
        self.fake = fake

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        body = post_data.encode() if isinstance(post_data, str) else (post_data or b"")
        status, content, response_headers = self.fake.request(
            method.upper(), parts.path, parts.query, body, headers or {}
        )
        return content.decode(), status, response_headers

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        content, status, response_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(content.encode()), status, response_headers

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content, status, response_headers = self.request(method, url, headers, post_data)
        return content.encode(), status, response_headers

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass
