"""Media forms from a tab's `_ux.input_schema`: pre-filled values and checks before money is spent.

Values are keyed by their destination field (the provider parameter), e.g. `_text` -> `prompt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cctui.engine.ux import ux


@dataclass
class FormField:
    key: str  # property name in input_schema
    destination: str  # provider parameter the value goes to
    schema: dict[str, Any]

    @property
    def hints(self) -> dict[str, Any]:
        return ux(self.schema)

    @property
    def title(self) -> str:
        return self.schema.get("title") or self.key.strip("_").replace("_", " ").capitalize()


class FormError(ValueError):
    pass


def form_fields(tab_schema: dict[str, Any]) -> list[FormField]:
    input_schema = ux(tab_schema).get("input_schema") or {}
    fields = []
    for key, sub in (input_schema.get("properties") or {}).items():
        dest = sub.get("destination_field") or ux(sub).get("destination_field") or key
        fields.append(FormField(key, dest, sub))
    return fields


def form_defaults(tab_schema: dict[str, Any], prompt_data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in form_fields(tab_schema):
        source = f.hints.get("source_field")
        if source and isinstance(prompt_data, dict) and source in prompt_data:
            values[f.destination] = prompt_data[source]
        elif "default" in f.schema:
            values[f.destination] = f.schema["default"]
        elif f.schema.get("type") == "string":
            values[f.destination] = ""
    return values


def _coerce(f: FormField, value: Any) -> Any:
    kind = f.schema.get("type")
    try:
        if kind == "integer" and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "number" and not isinstance(value, bool):
            return float(value)
        if kind == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind == "string":
            return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError):
        raise FormError(f"{f.title}: {value!r} is not a valid {kind}") from None
    return value


def form_values(tab_schema: dict[str, Any], prompt_data: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then overrides (by destination or by field key), coerced and checked."""
    fields = form_fields(tab_schema)
    values = form_defaults(tab_schema, prompt_data)
    by_key = {f.key: f for f in fields}
    for name, value in (overrides or {}).items():
        f = by_key.get(name) or next((x for x in fields if x.destination == name), None)
        values[f.destination if f else name] = value
    for f in fields:
        if f.destination not in values:
            continue
        value = _coerce(f, values[f.destination])
        if "enum" in f.schema and value not in f.schema["enum"]:
            choices = ", ".join(map(str, f.schema["enum"]))
            raise FormError(f"{f.title}: {value!r} is not one of {choices}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = f.schema.get("minimum"), f.schema.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                raise FormError(f"{f.title}: {value} is outside {low}..{high}")
            step = f.schema.get("step") or f.hints.get("step")
            if isinstance(step, int) and step > 1 and (value - (low or 0)) % step:
                raise FormError(f"{f.title}: {value} must be a multiple of {step} from {low or 0}")
        if f.destination == "prompt" and isinstance(value, str) and not value.strip():
            raise FormError(f"{f.title}: the prompt is empty")
        values[f.destination] = value
    return values
