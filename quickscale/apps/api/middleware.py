from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from quickscale.apps.api.authentication import AuthFailure, api_key_authenticate
from quickscale.apps.api.responses import api_error
from quickscale.conf import app_settings


class ApiKeyMiddleware:
    """Authenticate requests to the API by key. Requests without an Authorization header go
    on as they are (a signed-in browser, with CSRF protection); the API's views refuse
    anonymous ones. Install after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(app_settings.API_PATH_PREFIX):
            return self.get_response(request)
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return self.get_response(request)
        result = api_key_authenticate(header)
        if isinstance(result, AuthFailure):
            response = api_error(401, result.code, result.message)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        request.user = result.user
        request.api_key = result  # type: ignore[attr-defined]
        # A key is not a cookie a browser sends on its own: there is nothing to forge.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)
