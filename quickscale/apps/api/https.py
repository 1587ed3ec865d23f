"""The API over plain http: a JSON 403, never a redirect.

A redirect to https comes after the client has sent its key in clear, and a client that follows
it works on, so nobody notices the key went over the network unencrypted. Refusing, as Stripe's
API does, makes the mistake visible on the first call. Pages keep SecurityMiddleware's redirect.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch, reverse

from quickscale.apps.api.responses import api_error
from quickscale.conf import app_settings

HTTPS_REQUIRED = "https_required"


class ApiHttpsRequiredMiddleware:
    """With SECURE_SSL_REDIRECT on (production), answer plain-http requests under the API's
    path with 403 {"error": {"code": "https_required"}}. Paths in SECURE_REDIRECT_EXEMPT and
    the API's documentation page (a page for people) go on to SecurityMiddleware as before.
    Install before SecurityMiddleware, so that it answers first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._refuses(request):
            url = f"https://{request.get_host()}{request.get_full_path()}"
            return api_error(
                403,
                HTTPS_REQUIRED,
                f"The API accepts https only: send this request to {url}. An API key sent "
                "over plain http may have been read on the way: revoke it and use a new one.",
            )
        return self.get_response(request)

    def _refuses(self, request: HttpRequest) -> bool:
        if not settings.SECURE_SSL_REDIRECT or request.is_secure():
            return False
        path = request.path
        if not path.startswith(app_settings.API_PATH_PREFIX) or path == _docs_path():
            return False
        exempt = path.lstrip("/")
        return not any(re.search(pattern, exempt) for pattern in settings.SECURE_REDIRECT_EXEMPT)


def _docs_path() -> str | None:
    try:
        return reverse("api_docs")
    except NoReverseMatch:
        return None
