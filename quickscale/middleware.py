"""Middleware every generated project installs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django_htmx.http import HttpResponseClientRedirect

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def htmx_swap(request: HttpRequest) -> bool:
    """Whether htmx asked for a fragment to swap in (a boosted link or form wants a whole
    page, as without JavaScript)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


class HtmxRedirectMiddleware:
    """Turn redirects answered to HTMX requests into a navigation of the whole page.

    htmx would follow the redirect itself and swap its target into the fragment: a session
    that expired mid-page would put the log-in page inside a form.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            htmx_swap(request)
            and response.status_code in REDIRECT_STATUSES
            and response.has_header("Location")
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response
