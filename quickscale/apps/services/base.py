"""What a paid service is: a name, a description, a credit cost, an input schema and `run()`."""

from __future__ import annotations

from typing import Any, ClassVar

from quickscale.apps.services.schema import schema_errors


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
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    output_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def validate(self, data: Any) -> dict[str, list[str]]:
        return schema_errors(self.input_schema, data)

    def cost_for(self, data: dict[str, Any]) -> int:
        """The credits this input costs, known before running. Override to price by input."""
        return self.cost

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError
