"""The human-readable API page, rendered from the OpenAPI document the API serves, so the two
never disagree."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from quickscale.apps.api.openapi import openapi_document
from quickscale.apps.api.views import api_methods
from quickscale.apps.services.selectors import services_enabled

EXAMPLE_TEXT = "QuickScale makes paid APIs simple. It is great!"
KEY_PLACEHOLDER = "$API_KEY"  # a shell variable: the page never shows a real secret


@dataclass(frozen=True)
class Field:
    name: str
    location: str  # query, header or body
    type: str
    required: bool
    rules: str
    description: str


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    fields: list[Field]
    responses: list[tuple[str, str]]  # (status, description)
    anchor: str


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    cost: int
    cost_varies: bool
    method: str
    path: str
    fields: list[Field]
    curl: str


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    meaning: str


@dataclass(frozen=True)
class ApiDocs:
    title: str
    description: str
    base_url: str
    auth: str
    endpoints: list[Endpoint]
    services: list[Service]
    errors: list[ErrorCode]
    balance_curl: str


def markup(text: str) -> SafeString:
    """OpenAPI descriptions are CommonMark; the one construct ours use is `code`."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: plain text
        return escape(text)
    return mark_safe(  # noqa: S308  (every part is escaped)
        "".join(
            f"<code>{escape(part)}</code>" if index % 2 else escape(part)
            for index, part in enumerate(parts)
        )
    )


def _rules(schema: dict[str, Any]) -> str:
    rules = []
    if "enum" in schema:
        rules.append("one of " + ", ".join(map(str, schema["enum"])))
    if "minLength" in schema or "maxLength" in schema:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        rules.append(
            f"{low:,} to {high:,} characters"
            if high is not None
            else f"at least {low:,} characters"
        )
    if "minimum" in schema and "maximum" in schema:
        rules.append(f"{schema['minimum']:,} to {schema['maximum']:,}")
    elif "minimum" in schema:
        rules.append(f"at least {schema['minimum']:,}")
    elif "maximum" in schema:
        rules.append(f"at most {schema['maximum']:,}")
    if "pattern" in schema:
        rules.append(f"matches {schema['pattern']}")
    return "; ".join(rules)


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _parameters(operation: dict[str, Any]) -> list[Field]:
    return [
        Field(
            name=parameter["name"],
            location=parameter["in"],
            type=_type(parameter.get("schema", {})),
            required=bool(parameter.get("required", False)),
            rules=_rules(parameter.get("schema", {})),
            description=markup(parameter.get("description", "")),
        )
        for parameter in operation.get("parameters", [])
    ]


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] = content.get("application/json", {}).get("schema", {})
    return schema


def _body_fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        Field(
            name=name,
            location="body",
            type=_type(rules),
            required=name in required,
            rules=_rules(rules),
            description=markup(rules.get("description", "")),
        )
        for name, rules in schema.get("properties", {}).items()
    ]


def _example_value(schema: dict[str, Any]) -> Any:
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = _type(schema).split(" or ")[0]
    if kind in ("integer", "number"):
        return schema.get("minimum", min(1, schema.get("maximum", 1)))
    if kind == "boolean":
        return True
    return EXAMPLE_TEXT[: schema.get("maxLength", len(EXAMPLE_TEXT))]


def example_input(schema: dict[str, Any]) -> dict[str, Any]:
    """The smallest input that fits: every required field, with a plausible value."""
    properties = schema.get("properties", {})
    return {name: _example_value(properties.get(name, {})) for name in schema.get("required", [])}


def _curl(method: str, url: str, body: dict[str, Any] | None = None, retry_key: str = "") -> str:
    lines = [
        f"curl -X {method} {shlex.quote(url)}",
        f'-H "Authorization: Bearer {KEY_PLACEHOLDER}"',
    ]
    if retry_key:
        lines.append(f"-H {shlex.quote('Idempotency-Key: ' + retry_key)}")
    if body is not None:
        lines += ["-H 'Content-Type: application/json'", f"-d {shlex.quote(json.dumps(body))}"]
    return " \\\n  ".join(lines)


def _error_codes(document: dict[str, Any]) -> list[ErrorCode]:
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    choices = error["properties"]["code"].get("oneOf", [])
    codes = [
        ErrorCode(c["const"], int(c["x-status"]), markup(c.get("description", ""))) for c in choices
    ]
    return sorted(codes, key=lambda code: code.status)


def api_docs_from(document: dict[str, Any]) -> ApiDocs:
    base_url = document["servers"][0]["url"]
    endpoints: list[Endpoint] = []
    services: list[Service] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            responses: list[tuple[str, str]] = [
                (status, markup(response.get("description", "")))
                for status, response in sorted(operation.get("responses", {}).items())
            ]
            if "x-credit-cost" not in operation:
                endpoints.append(
                    Endpoint(
                        method=method,
                        path=path,
                        summary=operation.get("summary", ""),
                        fields=_parameters(operation),
                        responses=responses,
                        anchor=f"endpoint-{operation['operationId']}",
                    )
                )
                continue
            body = _body_schema(operation)
            name = operation["operationId"].removeprefix("run_")
            if not any(e.anchor == "endpoint-run" for e in endpoints):
                # The services share one endpoint; its parameters and answers, once.
                endpoints.append(
                    Endpoint(
                        method=method,
                        path=path.replace(f"/{name}/", "/{name}/"),
                        summary="Run a service: its input is the JSON body",
                        fields=_parameters(operation),
                        responses=responses,
                        anchor="endpoint-run",
                    )
                )
            services.append(
                Service(
                    name=name,
                    description=markup(operation.get("description", "")),
                    cost=int(operation["x-credit-cost"]),
                    cost_varies=bool(operation.get("x-cost-depends-on-input", False)),
                    method=method,
                    path=path,
                    fields=_body_fields(body),
                    # One key per example: a reader who runs two examples gets two answers.
                    curl=_curl(method, base_url + path, example_input(body), f"{name}-example-1"),
                )
            )
    schemes: dict[str, dict[str, Any]] = document["components"]["securitySchemes"]
    auth = " ".join(scheme.get("description", "") for scheme in schemes.values())
    balance = next((p for p in document["paths"] if p.endswith("/credits/balance")), None)
    return ApiDocs(
        title=document["info"]["title"],
        description=markup(document["info"].get("description", "")),
        base_url=base_url,
        auth=auth,
        endpoints=endpoints,
        services=services,
        errors=_error_codes(document),
        balance_curl=_curl("GET", base_url + balance) if balance else "",
    )


@api_methods("GET")
def api_docs(request: HttpRequest) -> HttpResponse:
    """Public: what the API offers is no secret, and a visitor decides here whether to sign up."""
    document = openapi_document(request.build_absolute_uri("/")[:-1], services_enabled())
    return render(request, "pages/api_docs.html", {"docs": api_docs_from(document)})
