from quickscale.apps.services.schema import schema_errors

SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 5},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10},
        "mode": {"type": "string", "enum": ["a", "b"]},
    },
    "required": ["text"],
}


def test_valid_input_has_no_errors():
    assert schema_errors(SCHEMA, {"text": "hi", "limit": 3, "mode": "a"}) == {}


def test_every_rule_names_its_field():
    assert schema_errors(SCHEMA, {"limit": True, "mode": "c", "other": 1}) == {
        "text": ["this field is required"],
        "limit": ["must be of type integer"],
        "mode": ["must be one of: a, b"],
        "other": ["unknown field"],
    }
    assert schema_errors(SCHEMA, {"text": "toolong", "limit": 11}) == {
        "text": ["must be at most 5 characters long"],
        "limit": ["must be at most 10"],
    }


def test_the_input_must_be_an_object():
    assert schema_errors(SCHEMA, ["text"]) == {"__all__": ["the input must be a JSON object"]}
