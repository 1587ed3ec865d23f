"""Every error the API answers has one shape: {"error": {"code", "message", ...details}}."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


def api_error(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(details)
    return JsonResponse({"error": body}, status=status)
