from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError

from quickscale.apps.api.auth_failures import auth_failure_record, auth_failures_blocked_for
from quickscale.apps.api.responses import (
    api_error,
    internal_error,
    request_too_large,
    status_error,
    too_many_requests,
)
from quickscale.apps.keys.authentication import AuthFailure, api_key_authenticate
from quickscale.client_ip import client_ip_rate_key
from quickscale.conf import app_settings

logger = logging.getLogger("quickscale.api")

# ASCII digits only: str.isdigit() and int() also take '²', Arabic-Indic digits or ' 12'.
# Eighteen digits are an exabyte, and keep int() far from its 4,300-digit limit.
CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
REQUEST_ID_ATTRIBUTE = "quickscale_request_id"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(app_settings.API_PATH_PREFIX)


def api_body_limit() -> int:
    """The largest body the API reads, in bytes: its own limit, or Django's when smaller."""
    limit: int = app_settings.API_MAX_BODY_SIZE
    django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit if django_limit is None else min(limit, django_limit)


def request_id(request: HttpRequest) -> str:
    found = getattr(request, REQUEST_ID_ATTRIBUTE, None)
    if found is None:
        found = uuid.uuid4().hex
        setattr(request, REQUEST_ID_ATTRIBUTE, found)
    return str(found)


def _is_json(response: HttpResponseBase) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def _replace_body(response: HttpResponseBase, replacement: HttpResponse) -> HttpResponseBase:
    """`replacement`'s status and body in `response`, whose headers and cookies (security
    headers, Allow, Vary, a session) other layers have already set."""
    if not isinstance(response, HttpResponse):  # a streaming response cannot take a new body
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        replacement.cookies = response.cookies
        return replacement
    response.content = replacement.content
    response.status_code = replacement.status_code
    for header, value in replacement.items():
        response[header] = value
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response


class ApiErrorMiddleware:
    """Under the API prefix every answer is JSON in the shape of `responses.api_error`.

    One mechanism for every endpoint, present and future: bodies over the limit are refused
    before any view reads them, exceptions a view raises are answered here, and error pages
    other layers made (Django's 404 for an unknown path, its 400 or 500 for an exception inside
    a middleware, DEBUG's technical pages) are turned into the JSON error for their status.
    A 500 carries a request id, logged with the traceback. Install it first in MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_request(request):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            response = _replace_body(
                response, status_error(response.status_code, request_id(request))
            )
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if not is_api_request(request):
            return None
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length:
            return None
        if not CONTENT_LENGTH.fullmatch(length):
            return api_error(
                400,
                "bad_request",
                "The Content-Length header must be a number of bytes in ASCII digits.",
            )
        limit = api_body_limit()
        if int(length) > limit:
            return request_too_large(limit)
        return None

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not is_api_request(request):
            return None
        if isinstance(exception, Http404):
            return status_error(404)
        if isinstance(exception, PermissionDenied):
            return status_error(403)
        if isinstance(exception, RequestDataTooBig):
            return request_too_large(api_body_limit())
        if isinstance(exception, SuspiciousOperation | BadRequest | MultiPartParserError):
            # Where Django's own handler would report it, so security monitoring still sees it.
            logging.getLogger(f"django.security.{type(exception).__name__}").warning(
                "%s: %s", exception, request.path
            )
            return status_error(400)
        # Error trackers (Sentry's Django integration among them) listen to this signal; our
        # receiver logs the traceback with the request id.
        got_request_exception.send(sender=type(self), request=request)
        return internal_error(request_id(request))


def log_unexpected_exception(
    sender: object, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A got_request_exception receiver: log the traceback of an API request's exception with
    the id its JSON 500 will show, wherever it was raised (a view or a middleware)."""
    if request is None or not is_api_request(request):
        return
    logger.error(
        "Unexpected error on %s %s (request id %s)",
        request.method,
        request.path,
        request_id(request),
        exc_info=True,
    )


def _too_many_failures(retry_after: int) -> JsonResponse:
    return too_many_requests(
        "too_many_failed_authentications",
        f"Too many failed authentications from your address; retry in {retry_after} s.",
        retry_after,
    )


class ApiKeyMiddleware:
    """Authenticate requests to the API by key. Requests without an Authorization header go
    on as they are (a signed-in browser, with CSRF protection); the API's views refuse
    anonymous ones. A client whose keys keep failing is refused for a while (auth_failures).
    Install after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_request(request):
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
