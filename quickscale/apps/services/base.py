"""What a paid service is: a name, a description, a credit cost, an input schema, a deadline
and `run()`."""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from typing import Any, ClassVar

from quickscale.apps.services.schema import schema_errors
from quickscale.conf import app_settings

# time.monotonic() at which the run in progress in this context must be done.
RUN_DEADLINE: ContextVar[float | None] = ContextVar("quickscale_run_deadline", default=None)


def run_time_left() -> float | None:
    """Seconds left before the current run's deadline (0 once it has passed), or None outside a
    run. Give it to what a service waits on (an HTTP client's timeout, a model call's) so the
    service gives up in time: a result that arrives after the deadline is discarded."""
    deadline = RUN_DEADLINE.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


class BaseService:
    """Subclass, set the class attributes, implement `run()`, and register it:

    @register
    class WordCount(BaseService):
        name = "word_count"
        description = "Counts words."
        cost = 1
        input_schema = {"type": "object", "properties": {"text": {"type": "string"}},
                        "required": ["text"]}

        def run(self, data):
            return {"words": len(data["text"].split())}
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    cost: ClassVar[int] = 1
    # Seconds a run may take; None takes QUICKSCALE_SERVICE_TIMEOUT.
    timeout: ClassVar[float | None] = None
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    output_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def validate(self, data: Any) -> dict[str, list[str]]:
        return schema_errors(self.input_schema, data)

    def cost_for(self, data: dict[str, Any]) -> int:
        """The credits this input costs, known before running. Override to price by input."""
        return self.cost

    def time_limit(self) -> float:
        """Seconds a run of this service may take before it is failed and refunded."""
        limit = self.timeout if self.timeout is not None else app_settings.SERVICE_TIMEOUT
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or not 0 < limit < math.inf
        ):
            raise ValueError(
                f"The timeout of {self.name!r} is {limit!r}; it is a number of seconds above 0 "
                "(check the service's timeout and QUICKSCALE_SERVICE_TIMEOUT)."
            )
        return float(limit)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError
