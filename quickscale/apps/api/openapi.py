"""The OpenAPI 3.1 document of the JSON API, built from the registered services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import quickscale
from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import registry
from quickscale.conf import app_settings

ERROR = {"$ref": "#/components/schemas/Error"}
# Every `error.code` the API answers: its HTTP status and what it means. The document lists
# them, so a client (and the API page) can rely on the set.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "bad_request": (
        400,
        "The request could not be read: a malformed header (such as Content-Length), host or body.",
    ),
    "invalid_json": (
        400,
        "The request body is not a JSON object (or is nested too deeply, or holds a number "
        "past any float).",
    ),
    "invalid_input": (400, "The input does not fit the service's schema; `fields` says why."),
    "invalid_idempotency_key": (
        400,
        "The Idempotency-Key header is empty, too long or not printable ASCII.",
    ),
    "invalid_cursor": (400, "`before` is not the `next` value of a previous page."),
    "cost_too_large": (
        400,
        "The input would cost more credits than an account can hold (`maximum`).",
    ),
    "missing_key": (401, "No Authorization header (and no signed-in session)."),
    "malformed_key": (401, "The Authorization header is not `Bearer PREFIX.SECRET`."),
    "invalid_key": (401, "The API key is not valid."),
    "revoked_key": (401, "The API key has been revoked."),
    "expired_key": (401, "The API key has expired."),
    "inactive_account": (401, "The account the API key belongs to is inactive."),
    "insufficient_credits": (
        402,
        "Not enough credits; `balance` and `cost` say how many, `buy_url` where to buy more.",
    ),
    "forbidden": (403, "This request is not allowed."),
    "forbidden_scope": (403, "The key's scopes do not include this service."),
    "csrf_failed": (403, "A signed-in browser sent no CSRF token (keys need none)."),
    "not_found": (404, "There is no endpoint at this path."),
    "service_not_found": (404, "There is no such service, or it is switched off."),
    "method_not_allowed": (405, "The endpoint does not take this method; see the Allow header."),
    "idempotency_conflict": (409, "The Idempotency-Key was used for a different request."),
    "request_in_progress": (409, "A request with this Idempotency-Key is still running."),
    "request_too_large": (413, "The request body is over `limit` bytes."),
    "rate_limited": (429, "Too many requests; retry after `retry_after` seconds."),
    "too_many_failed_authentications": (
        429,
        "Too many failed key authentications from this address; retry after `retry_after` s.",
    ),
    "internal_error": (
        500,
        "Something unexpected went wrong on the server; `request_id` names it in the server's log.",
    ),
    "service_failed": (502, "The service failed; its cost was refunded. `run` names the run."),
    "deadline_exceeded": (
        504,
        "The service did not finish within its time limit; its cost was refunded and no result "
        "is kept. `run` names the run.",
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


COMMON = {
    "401": _error("Missing, malformed, unknown, wrong, revoked or expired key"),
    "429": _error("Rate limited; see Retry-After"),
    "500": _error("An unexpected error; `request_id` names it in the server's log"),
}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "oneOf": [
                            {"const": code, "description": meaning, "x-status": status}
                            for code, (status, meaning) in ERROR_CODES.items()
                        ],
                    },
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "balance": {"type": "integer"},
                    "cost": {"type": "integer"},
                    "buy_url": {
                        "type": "string",
                        "format": "uri",
                        "description": "Where credits are bought (with insufficient_credits).",
                    },
                    "run": {"type": "integer"},
                    "retry_after": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "maximum": {"type": "integer"},
                    "request_id": {"type": "string"},
                },
            }
        },
    },
    "Balance": {
        "type": "object",
        "required": ["total", "subscription", "payg", "promo", "next_expiry", "next_expiry_amount"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "subscription": {"type": "integer", "minimum": 0},
            "payg": {"type": "integer", "minimum": 0},
            "promo": {"type": "integer", "minimum": 0},
            "next_expiry": {"type": ["string", "null"], "format": "date-time"},
            "next_expiry_amount": {"type": "integer", "minimum": 0},
        },
    },
    "Service": {
        "type": "object",
        "required": ["name", "description", "cost", "input_schema", "allowed"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "cost": {"type": "integer", "minimum": 0},
            "input_schema": {"type": "object"},
            "allowed": {"type": "boolean"},
        },
    },
    "Run": {
        "type": "object",
        "required": ["run", "service", "status", "cost", "result", "balance"],
        "properties": {
            "run": {"type": "integer"},
            "service": {"type": "string"},
            "status": {"type": "string", "enum": ["succeeded"]},
            "cost": {"type": "integer", "minimum": 0},
            "result": {"type": "object"},
            "balance": {"type": "integer", "minimum": 0},
        },
    },
    "Usage": {
        "type": "object",
        "required": ["runs", "next"],
        "properties": {
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "run",
                        "service",
                        "status",
                        "cost",
                        "created_at",
                        "duration_ms",
                        "api_key",
                    ],
                    "properties": {
                        "run": {"type": "integer"},
                        "service": {"type": "string"},
                        "status": {"type": "string", "enum": ["running", "succeeded", "failed"]},
                        "cost": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "duration_ms": {"type": ["integer", "null"]},
                        "api_key": {"type": ["string", "null"]},
                    },
                },
            },
            "next": {"type": ["integer", "null"]},
        },
    },
}


def _run_path(service: BaseService) -> dict[str, Any]:
    varies = type(service).cost_for is not BaseService.cost_for
    plural = "" if service.cost == 1 else "s"
    price = (
        f"Costs at least {service.cost} credit{plural}, depending on the input."
        if varies
        else f"Costs {service.cost} credit{plural}."
    )
    return {
        "post": {
            "operationId": f"run_{service.name}",
            "summary": f"Run {service.name}",
            "description": f"{service.description} {price}",
            "tags": ["services"],
            "x-credit-cost": service.cost,
            "x-cost-depends-on-input": varies,
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": (
                        "A retry with the same key runs and charges once "
                        "and returns the first result."
                    ),
                    # Printable ASCII, as the server checks it (views.IDEMPOTENCY_KEY).
                    "schema": {"type": "string", "pattern": "^[\\x20-\\x7e]{1,255}$"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {**service.input_schema, "additionalProperties": False}
                    }
                },
            },
            "responses": {
                "200": _ok(
                    "The service ran; its cost was debited", {"$ref": "#/components/schemas/Run"}
                ),
                "400": _error(
                    "Input that does not fit the schema, invalid JSON, or a cost past the maximum"
                ),
                "413": _error("A request body over the API's limit"),
                "402": _error("Not enough credits; the error names the balance and the cost"),
                "403": _error("The key's scopes do not include this service, or a CSRF failure"),
                "404": _error("The service is switched off"),
                "409": _error(
                    "The Idempotency-Key was used for another request, or is still running"
                ),
                "502": _error("The service failed; its cost was refunded"),
                "504": _error(
                    "The service did not finish within its time limit; its cost was refunded"
                ),
                **COMMON,
            },
        }
    }


def openapi_document(server: str, services: Iterable[BaseService] | None = None) -> dict[str, Any]:
    """The API's OpenAPI document; `services` defaults to every registered one."""
    prefix = app_settings.API_PATH_PREFIX.rstrip("/")
    paths: dict[str, Any] = {
        f"{prefix}/v1/credits/balance": {
            "get": {
                "operationId": "balance",
                "summary": "The credit balance, by kind",
                "tags": ["credits"],
                "responses": {
                    "200": _ok("The balance", {"$ref": "#/components/schemas/Balance"}),
                    **COMMON,
                },
            }
        },
        f"{prefix}/v1/services": {
            "get": {
                "operationId": "services",
                "summary": "The services you can run",
                "tags": ["services"],
                "responses": {
                    "200": _ok(
                        "Enabled services",
                        {
                            "type": "object",
                            "required": ["services"],
                            "properties": {
                                "services": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Service"},
                                }
                            },
                        },
                    ),
                    **COMMON,
                },
            }
        },
        f"{prefix}/v1/usage": {
            "get": {
                "operationId": "usage",
                "summary": "Your service runs, newest first",
                "tags": ["services"],
                "parameters": [
                    {
                        "name": "before",
                        "in": "query",
                        "required": False,
                        "description": "The `next` value of the previous page.",
                        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
                    }
                ],
                "responses": {
                    "200": _ok("A page of runs", {"$ref": "#/components/schemas/Usage"}),
                    "400": _error("A cursor that is not a number"),
                    **COMMON,
                },
            }
        },
    }
    for service in registry if services is None else services:
        paths[f"{prefix}/v1/services/{service.name}/run"] = _run_path(service)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API",
            "version": "1",
            "description": (
                f"Run paid services with credits. Served by QuickScale {quickscale.__version__}."
            ),
        },
        "servers": [{"url": server}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer PREFIX.SECRET",
                }
            },
        },
    }
