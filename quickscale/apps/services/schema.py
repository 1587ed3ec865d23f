"""Checking a service's JSON input against the subset of JSON Schema services declare:
an object of string, integer, number and boolean properties, with `required`, `maxLength`,
`minLength`, `minimum`, `maximum` and `enum`."""

from __future__ import annotations

from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _field_errors(name: str, value: Any, rules: dict[str, Any]) -> list[str]:
    expected = rules.get("type", "string")
    if isinstance(value, bool) and expected in ("integer", "number"):
        return [f"must be of type {expected}"]
    if not isinstance(value, TYPES[expected]):
        return [f"must be of type {expected}"]
    errors = []
    if isinstance(value, str):
        if "maxLength" in rules and len(value) > rules["maxLength"]:
            errors.append(f"must be at most {rules['maxLength']} characters long")
        if "minLength" in rules and len(value) < rules["minLength"]:
            errors.append(f"must be at least {rules['minLength']} characters long")
    elif not isinstance(value, bool):
        if "minimum" in rules and value < rules["minimum"]:
            errors.append(f"must be at least {rules['minimum']}")
        if "maximum" in rules and value > rules["maximum"]:
            errors.append(f"must be at most {rules['maximum']}")
    if "enum" in rules and value not in rules["enum"]:
        errors.append("must be one of: " + ", ".join(map(str, rules["enum"])))
    return errors


def schema_errors(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Field name → what is wrong with it; empty when `data` fits `schema`."""
    if not isinstance(data, dict):
        return {"__all__": ["the input must be a JSON object"]}
    properties: dict[str, Any] = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    for name in schema.get("required", []):
        if name not in data:
            errors[name] = ["this field is required"]
    for name, value in data.items():
        if name not in properties:
            if schema.get("additionalProperties", False) is False:
                errors[name] = ["unknown field"]
            continue
        if field_errors := _field_errors(name, value, properties[name]):
            errors[name] = field_errors
    return errors
