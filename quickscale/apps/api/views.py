"""The JSON API, version 1. Views parse input, call one service, and translate domain errors
into statuses; errors always have the shape {"error": {"code", "message", ...}}."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from quickscale.apps.accounts.models import User
from quickscale.apps.api.openapi import openapi_document
from quickscale.apps.api.ratelimit import rate_limit_retry_after
from quickscale.apps.api.responses import api_error, too_many_requests
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.keys.authentication import MISSING, REVOKED
from quickscale.apps.orgs.current import membership_required, request_organization
from quickscale.apps.orgs.models import Organization
from quickscale.apps.orgs.policy import Action
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.apps.services.selectors import service_runs_page, services_enabled
from quickscale.apps.services.services import service_run
from quickscale.conf import app_settings
from quickscale.exceptions import (
    ApiKeyRevokedError,
    CreditLimitError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidServiceInputError,
    OrganizationPermissionError,
    RunInProgressError,
    ServiceNotAllowedError,
    ServiceUnavailableError,
)

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY = re.compile(rf"[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")
# A run's id, in ASCII digits: str.isdigit() also takes '²' (which int() refuses) and
# Arabic-Indic digits (which it reads). Eighteen digits stay inside a bigint.
CURSOR = re.compile(r"[0-9]{1,18}")
USAGE_PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    if getattr(request, "api_key", None) is not None:
        return None
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, lambda r: HttpResponse(), (), {})


def _method_not_allowed(methods: tuple[str, ...]) -> HttpResponse:
    response = api_error(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
    response["Allow"] = ", ".join(methods)
    return response


def api_methods(*methods: str) -> Callable[[View], View]:
    """A JSON 405 for any other method, for the API's public documents. They change nothing,
    so there is no CSRF to check: a POST gets its 405, not the CSRF failure page."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return _method_not_allowed(allowed)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def api_endpoint(*methods: str) -> Callable[[View], View]:
    """Method check, authentication (key or session), CSRF for sessions, and the rate limit."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return _method_not_allowed(methods)
            if not request.user.is_authenticated:
                response = api_error(401, MISSING.code, MISSING.message)
                response["WWW-Authenticate"] = 'Bearer realm="api"'
                return response
            if request.method not in ("GET", "HEAD") and _csrf_refusal(request) is not None:
                return api_error(
                    403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header."
                )
            key = getattr(request, "api_key", None)
            bucket = f"key:{key.pk}" if key is not None else f"user:{request.user.pk}"
            retry_after = rate_limit_retry_after(bucket=bucket, rate=app_settings.API_RATE_LIMIT)
            if retry_after is not None:
                return too_many_requests(
                    "rate_limited", f"Too many requests; retry in {retry_after} s.", retry_after
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _organization(request: HttpRequest, action: Action) -> Organization:
    """The key's organization; for a signed-in browser, the one its pages act for, when the
    policy lets its member do `action` (a 403 otherwise). A key's calls need no membership
    lookup: a key is made by a member, and removing a member revokes the keys they made there
    (the charge checks again, under the organization's lock)."""
    if getattr(request, "api_key", None) is None:
        return membership_required(request, action).organization
    organization = request_organization(request)
    assert organization is not None
    return organization


@api_endpoint("GET")
def balance(request: HttpRequest) -> HttpResponse:
    organization = _organization(request, Action.VIEW)
    return JsonResponse(credit_balance_get(organization=organization).as_dict())


@api_endpoint("GET")
def services(request: HttpRequest) -> HttpResponse:
    key = getattr(request, "api_key", None)
    return JsonResponse(
        {
            "services": [
                {
                    "name": service.name,
                    "description": service.description,
                    "cost": service.cost,
                    "input_schema": service.input_schema,
                    "allowed": key is None or key.allows(service.name),
                }
                for service in services_enabled()
            ]
        }
    )


def _json_number(text: str) -> int | float:
    # JSON has one number type: 32.0 is the integer 32 (JSON Schema agrees), so a service whose
    # input schema asks for an integer must accept it, and gets an int.
    number = float(text)
    if not math.isfinite(number):  # 1e999: past any float, it would be read as infinity
        raise ValueError(f"{text[:20]} is too large a number")
    return int(number) if number.is_integer() else number


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _run_body(run: ServiceRun, balance_total: int) -> dict[str, Any]:
    return {
        "run": run.pk,
        "service": run.service,
        "status": run.status,
        "cost": run.cost,
        "result": run.result,
        "balance": balance_total,
    }


@api_endpoint("POST")
def run(request: HttpRequest, name: str) -> HttpResponse:
    try:
        data = json.loads(
            request.body or b"null", parse_float=_json_number, parse_constant=_not_json
        )
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return api_error(400, "invalid_json", "The request body must be a JSON object.")
    idempotency_key = request.headers.get("Idempotency-Key")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        return api_error(
            400,
            "invalid_idempotency_key",
            f"An Idempotency-Key has 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII "
            "characters, such as a UUID.",
        )
    try:
        outcome = service_run(
            organization=_organization(request, Action.RUN_SERVICES),
            user=_user(request),
            name=name,
            data=data,
            api_key=getattr(request, "api_key", None),
            idempotency_key=idempotency_key,
        )
    except ServiceUnavailableError as error:
        return api_error(404, "service_not_found", error.message)
    except ApiKeyRevokedError:
        return api_error(401, REVOKED.code, REVOKED.message)
    except OrganizationPermissionError as error:
        return api_error(403, "forbidden", error.message)
    except ServiceNotAllowedError as error:
        return api_error(403, "forbidden_scope", error.message)
    except InvalidServiceInputError as error:
        return api_error(400, "invalid_input", error.message, fields=error.fields)
    except CreditLimitError as error:
        return api_error(400, "cost_too_large", error.message, maximum=error.maximum)
    except InsufficientCreditsError as error:
        return api_error(
            402,
            "insufficient_credits",
            f"{error.message} Buy credits at {request.build_absolute_uri(reverse('pricing'))}",
            balance=error.balance,
            cost=error.requested,
            buy_url=request.build_absolute_uri(reverse("pricing")),
        )
    except IdempotencyConflictError as error:
        return api_error(409, "idempotency_conflict", error.message)
    except RunInProgressError as error:
        return api_error(409, "request_in_progress", error.message)
    run = outcome.run
    if run.timed_out:
        response = api_error(
            504,
            "deadline_exceeded",
            f"The service did not finish within its time limit; its {run.cost} credits were "
            "refunded and no result is kept. Retry, with a smaller input if it is large.",
            run=run.pk,
            balance=outcome.balance,
        )
    elif run.status == RunStatus.FAILED:
        response = api_error(
            502,
            "service_failed",
            f"The service failed; its {run.cost} credits were refunded.",
            run=run.pk,
            balance=outcome.balance,
        )
    else:
        response = JsonResponse(_run_body(run, outcome.balance))
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api_endpoint("GET")
def usage(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before")
    if before is not None and not CURSOR.fullmatch(before):
        return api_error(400, "invalid_cursor", "`before` is the `next` value of a previous page.")
    page = service_runs_page(
        organization=_organization(request, Action.VIEW),
        before=int(before) if before else None,
        size=USAGE_PAGE_SIZE,
    )
    return JsonResponse(
        {
            "runs": [
                {
                    "run": r.pk,
                    "service": r.service,
                    "status": r.status,
                    "cost": r.cost,
                    "created_at": r.created_at.isoformat(),
                    "duration_ms": r.duration_ms,
                    "api_key": r.api_key.prefix if r.api_key else None,
                }
                for r in page.items
            ],
            "next": page.older,
        }
    )


@api_methods("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        openapi_document(request.build_absolute_uri("/")[:-1], services_enabled()),
        json_dumps_params={"indent": 2},
    )
