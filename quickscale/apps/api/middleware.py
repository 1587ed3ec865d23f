from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from quickscale.apps.api.auth_failures import auth_failure_record, auth_failures_blocked_for
from quickscale.apps.api.authentication import AuthFailure, api_key_authenticate
from quickscale.apps.api.responses import api_error
from quickscale.client_ip import client_ip_rate_key
from quickscale.conf import app_settings


def _too_many_failures(retry_after: int) -> JsonResponse:
    response = api_error(
        429,
        "too_many_failed_authentications",
        f"Too many failed authentications from your address; retry in {retry_after} s.",
        retry_after=retry_after,
    )
    response["Retry-After"] = str(retry_after)
    return response


class ApiKeyMiddleware:
    """Authenticate requests to the API by key. Requests without an Authorization header go
    on as they are (a signed-in browser, with CSRF protection); the API's views refuse
    anonymous ones. A client whose keys keep failing is refused for a while (auth_failures).
    Install after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(app_settings.API_PATH_PREFIX):
            return self.get_response(request)
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return self.get_response(request)
        client = client_ip_rate_key(request)
        blocked_for = auth_failures_blocked_for(client=client)
        if blocked_for is not None:
            return _too_many_failures(blocked_for)
        result = api_key_authenticate(header)
        if isinstance(result, AuthFailure):
            retry_after = auth_failure_record(client=client)
            if retry_after is not None:
                return _too_many_failures(retry_after)
            response = api_error(401, result.code, result.message)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        request.user = result.user
        request.api_key = result  # type: ignore[attr-defined]
        # A key is not a cookie a browser sends on its own: there is nothing to forge.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)
