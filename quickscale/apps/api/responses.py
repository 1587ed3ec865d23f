"""Every error the API answers has one shape: {"error": {"code", "message", ...details}}."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

# What an error that no view chose (Django's own 404, a 413, a 500) is called, by status.
NOT_FOUND = "There is no endpoint at this path; /api/v1/openapi.json lists them."
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read: a malformed header, host or body."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", NOT_FOUND),
    405: ("method_not_allowed", "The endpoint does not take this method; see the Allow header."),
    413: ("request_too_large", "The request body is too large."),
}
INTERNAL_ERROR = "internal_error"


def api_error(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(details)
    return JsonResponse({"error": body}, status=status)


def too_many_requests(code: str, message: str, retry_after: int) -> JsonResponse:
    """A 429 that says, in the body and in Retry-After, how many seconds to wait."""
    response = api_error(429, code, message, retry_after=retry_after)
    response["Retry-After"] = str(retry_after)
    return response


def internal_error(request_id: str) -> JsonResponse:
    """A 500 that says nothing of the internals, only the id under which they were logged."""
    response = api_error(
        500,
        INTERNAL_ERROR,
        "Something went wrong on our side and it has been logged. If it persists, contact us "
        f"and quote the request id {request_id}.",
        request_id=request_id,
    )
    response["X-Request-ID"] = request_id
    return response


def request_too_large(limit: int) -> JsonResponse:
    code, _ = STATUS_ERRORS[413]
    return api_error(
        413,
        code,
        f"The request body is over the API's limit of {limit} bytes; send less.",
        limit=limit,
    )


def status_error(status: int, request_id: str = "") -> JsonResponse:
    """The JSON error for a status some other layer answered (Django's 404, a 405, a 500)."""
    if status >= 500:
        assert request_id, "a 5xx names the request id its traceback was logged with"
        response = internal_error(request_id)
        response.status_code = status
        return response
    code, message = STATUS_ERRORS.get(status, STATUS_ERRORS[400])
    return api_error(status, code, message)
