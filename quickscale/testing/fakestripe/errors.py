from __future__ import annotations


class FakeStripeError(Exception):
    """An error the fake answers in Stripe's shape: ``{"error": {"type": ..., "message": ...}}``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> FakeStripeError:
    return FakeStripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def required(param: str) -> FakeStripeError:
    return FakeStripeError(
        f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def invalid(param: str, message: str) -> FakeStripeError:
    return FakeStripeError(message, code="parameter_invalid", param=param)
