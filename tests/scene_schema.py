"""A small structured-output schema (a list of scenes, each a title and a description) that the
streaming tests ask for, from the stand-in and through the real client alike."""

SCENES_SCHEMA = {
    "type": "object",
    "properties": {
        "scenes": {"type": "array", "items": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}},
            "required": ["title", "description"], "additionalProperties": False}},
    },
    "required": ["scenes"],
    "additionalProperties": False,
}
