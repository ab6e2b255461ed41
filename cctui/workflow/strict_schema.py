"""What OpenAI's structured-output strict mode refuses in a JSON Schema."""

from __future__ import annotations

from typing import Any, Iterator


def strict_problems(schema: Any, at: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (path inside the schema, reason) for each thing strict mode would refuse."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from strict_problems(item, at + (i,))
        return
    if not isinstance(schema, dict):
        return
    if "default" in schema:
        yield at + ("default",), "strict mode does not support `default`"
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types) or "properties" in schema
    if is_object:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            yield at, "object without `additionalProperties: false` (strict mode requires it)"
        required = set(schema.get("required", []))
        for name in props:
            if name not in required:
                yield at + ("required",), f"property {name!r} is missing from `required` (strict mode requires every property)"
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            yield from strict_problems(sub, at + (key, name))
    for key in ("items", "anyOf", "allOf", "oneOf", "not", "prefixItems"):
        if key in schema:
            yield from strict_problems(schema[key], at + (key,))
