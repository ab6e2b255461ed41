"""Media forms from a tab's `_ux.input_schema`: pre-filled values and checks before money is spent.

Values are keyed by their destination field (the provider parameter), e.g. `_text` -> `prompt`.

Two kinds of value reach a form, and they are treated differently:
- pre-filled ones (the prompt data's `source_field`, i.e. an LLM answer or other earlier state,
  else the schema `default`) are made to fit the field's JSON Schema: a number raised to its
  `minimum` or lowered to its `maximum`, snapped to its `multipleOf` / `step`, rounded when the
  field is an integer, an `enum` value that is not an option replaced by the nearest option, the
  default or the first option. Each adjustment gets a note (`FormValues.notes`) that the form
  shows next to the field and batch mode prints, e.g. "Length (seconds): 2 s raised to the
  minimum, 3 s" (the unit is the field's optional `_ux.unit` hint);
- values the caller gives (the creator typed them, or an answers file holds them) are never
  adjusted: they are checked and refused with a `FormError` naming the field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from cctui.engine.ux import ux
from cctui.errors import CctuiError


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

    @property
    def unit(self) -> str:
        """The optional `_ux.unit` hint (e.g. "s"), shown after numbers in notes."""
        unit = self.hints.get("unit")
        return unit.strip() if isinstance(unit, str) else ""


class FormError(CctuiError, ValueError):
    """A value the form cannot use. `field` is the field it belongs to (when known); `prefilled`
    is True when the value was pre-filled (from earlier state or the schema), not given by the
    caller, so that a caller (e.g. batch mode) never blames its own input for it."""

    def __init__(self, message: str, *, field: FormField | None = None, prefilled: bool = False):
        super().__init__(message)
        self.field = field
        self.prefilled = prefilled


@dataclass
class FormValues:
    """Checked values by destination, and a note for each pre-filled value adjusted to fit."""

    values: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)  # by destination, in field order


def form_fields(tab_schema: dict[str, Any]) -> list[FormField]:
    input_schema = ux(tab_schema).get("input_schema") or {}
    fields = []
    for key, sub in (input_schema.get("properties") or {}).items():
        dest = sub.get("destination_field") or ux(sub).get("destination_field") or key
        fields.append(FormField(key, dest, sub))
    return fields


# ---------------------------------------------------------------------- pre-filled values


class _Unusable(Exception):
    """A pre-filled value that no adjustment can make fit (e.g. a word for a number)."""


def _shown(f: FormField, value: Any) -> str:
    """A value as a note shows it: numbers plainly with the field's unit, text in quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value) if isinstance(value, int) else f"{value:.10g}"
        return f"{text} {f.unit}" if f.unit else text
    return json.dumps(value, ensure_ascii=False, default=str)


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _bound(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _grid(f: FormField, low: float | None) -> tuple[float, float, str] | None:
    """(step, base, how a note says it) the value must sit on: `multipleOf` (from 0), else the
    `step` (from the minimum)."""
    multiple = _bound(f.schema.get("multipleOf"))
    if multiple is not None and multiple > 0:
        return multiple, 0, f"snapped to a multiple of {_shown(f, multiple)}"
    step = _bound(f.schema.get("step") or f.hints.get("step"))
    if step is not None and step > 0:
        return step, low or 0, f"snapped to a step of {_shown(f, step)}" + (f" from {_shown(f, low)}" if low else "")
    return None


def _on_grid(value: float, step: float, base: float) -> bool:
    ratio = (value - base) / step
    return abs(ratio - round(ratio)) < 1e-9


def _snap(value: float, step: float, base: float, low: float | None, high: float | None) -> float:
    new = base + math.floor((value - base) / step + 0.5) * step
    if low is not None and new < low - 1e-9:
        new += step
    if high is not None and new > high + 1e-9:
        new -= step
    if (low is not None and new < low - 1e-9) or (high is not None and new > high + 1e-9):
        raise _Unusable("has no allowed value between the minimum and the maximum")
    return round(new, 10)


def _option(f: FormField, value: Any) -> tuple[Any, str]:
    """The option that replaces a value the `enum` does not hold, and how it was chosen."""
    options = f.schema["enum"]
    for option in options:  # the same option spelt differently ("Subtle" for "subtle", 4 for "4")
        if str(option).strip().lower() == str(value).strip().lower():
            return option, "matching option"
    number = _as_number(value)
    numbers = [_as_number(o) for o in options]
    if number is not None and all(n is not None for n in numbers):
        best = min(range(len(options)), key=lambda i: abs(numbers[i] - number))
        return options[best], "nearest option"
    if "default" in f.schema and f.schema["default"] in options:
        return f.schema["default"], "default"
    return options[0], "first option"


def _fit(f: FormField, value: Any) -> tuple[Any, str | None]:
    """A pre-filled value adjusted to the field's schema, and the note saying how (None: as it was)."""
    schema = f.schema
    original = value
    done: list[str] = []
    if schema.get("type") == "integer" and not isinstance(value, bool):
        number = _as_number(value)
        if number is None:
            raise _Unusable("is not a whole number")
        if isinstance(number, float) and not number.is_integer():
            number = math.floor(number + 0.5)
            done.append("rounded to a whole number")
        value = int(number)
    elif schema.get("type") == "number" and not isinstance(value, bool):
        number = _as_number(value)
        if number is None:
            raise _Unusable("is not a number")
        value = float(number)
    else:
        try:
            value = _coerce(f, value)
        except FormError:
            raise _Unusable(f"is not a valid {schema.get('type')}") from None
    options = schema.get("enum")
    if isinstance(options, list) and options and value not in options:
        choice, how = _option(f, value)
        return choice, f"{f.title}: {_shown(f, original)} replaced by the {how}, {_shown(f, choice)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = _bound(schema.get("minimum")), _bound(schema.get("maximum"))
        if schema.get("type") == "integer":  # the whole numbers inside fractional bounds
            low = math.ceil(low) if low is not None else None
            high = math.floor(high) if high is not None else None
        if low is not None and high is not None and low > high:
            raise _Unusable(f"cannot fit: the minimum {low} is above the maximum {high}")
        if low is not None and value < low:
            value = low
            done.append("raised to the minimum")
        elif high is not None and value > high:
            value = high
            done.append("lowered to the maximum")
        grid = _grid(f, low)
        if grid and not _on_grid(value, grid[0], grid[1]):
            step, base, how = grid
            value = _snap(value, step, base, low, high)
            done.append(how)
        value = int(round(value)) if schema.get("type") == "integer" else value
    if not done:
        return value, None
    return value, f"{f.title}: {_shown(f, original)} {' and '.join(done)}, {_shown(f, value)}"


def form_prefill(tab_schema: dict[str, Any], prompt_data: Any) -> FormValues:
    """The form's first values, each made to fit its field, with a note for each one adjusted.

    A value from the prompt data (`_ux.source_field`) comes first, else the schema `default`;
    one that cannot be made to fit at all gives way to the default (or is left empty)."""
    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for f in form_fields(tab_schema):
        source = f.hints.get("source_field")
        raw: Any = None
        if source and isinstance(prompt_data, dict):
            raw = prompt_data.get(source)
        from_source = raw is not None
        if raw is None and "default" in f.schema:
            raw = f.schema["default"]
        if raw is None:
            if f.schema.get("type") == "string":
                values[f.destination] = ""
            continue
        try:
            value, note = _fit(f, raw)
        except _Unusable as exc:
            fallback = None
            if from_source and "default" in f.schema:
                try:
                    fallback = check_value(f, f.schema["default"])
                except FormError:
                    fallback = None
            if fallback is not None:
                values[f.destination] = fallback
                notes[f.destination] = f"{f.title}: {_shown(f, raw)} {exc}, replaced by the default, " \
                                       f"{_shown(f, fallback)}"
            else:
                notes[f.destination] = f"{f.title}: {_shown(f, raw)} {exc}, left empty"
                if f.schema.get("type") == "string":
                    values[f.destination] = ""
            continue
        values[f.destination] = value
        if note:
            notes[f.destination] = note
    return FormValues(values, notes)


def form_defaults(tab_schema: dict[str, Any], prompt_data: Any) -> dict[str, Any]:
    """The form's first values (see `form_prefill`, which also says what was adjusted)."""
    return form_prefill(tab_schema, prompt_data).values


# ---------------------------------------------------------------------- checking given values


def _coerce(f: FormField, value: Any) -> Any:
    kind = f.schema.get("type")
    try:
        if kind == "integer" and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "number" and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind == "string":
            return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError, OverflowError):
        raise FormError(f"{f.title}: {value!r} is not a valid {kind}", field=f) from None
    return value


def check_value(f: FormField, value: Any) -> Any:
    """One value as given, coerced to the field's type and checked (type, enum, range, step, pattern),
    never adjusted; FormError if wrong."""
    value = _coerce(f, value)
    if "enum" in f.schema and value not in f.schema["enum"]:
        choices = ", ".join(map(str, f.schema["enum"]))
        raise FormError(f"{f.title}: {value!r} is not one of {choices}", field=f)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = f.schema.get("minimum"), f.schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise FormError(f"{f.title}: {value} is outside {low}..{high}", field=f)
        step = f.schema.get("step") or f.hints.get("step")
        if isinstance(step, int) and step > 1 and (value - (low or 0)) % step:
            raise FormError(f"{f.title}: {value} must be a multiple of {step} from {low or 0}", field=f)
        multiple = _bound(f.schema.get("multipleOf"))
        if multiple is not None and multiple > 0 and not _on_grid(value, multiple, 0):
            raise FormError(f"{f.title}: {value} must be a multiple of {multiple}", field=f)
    pattern = f.schema.get("pattern")
    if isinstance(value, str) and isinstance(pattern, str):
        try:
            matched = re.search(pattern, value)  # JSON Schema patterns are not anchored
        except re.error as exc:
            raise FormError(f"{f.title}: the schema's pattern {pattern!r} is not a valid regular expression "
                            f"({exc}); correct it in the workflow", field=f) from None
        if matched is None:
            raise FormError(f"{f.title}: {value!r} does not match the pattern {pattern}", field=f)
    if f.destination == "prompt" and isinstance(value, str) and not value.strip():
        raise FormError(f"{f.title}: the prompt is empty", field=f)
    return value


def form_check(tab_schema: dict[str, Any], prompt_data: Any, overrides: dict[str, Any]) -> FormValues:
    """Pre-filled values (fitted, see `form_prefill`), then the caller's values (by destination
    or by field key), which are checked as given. The notes are those of the pre-filled values
    the caller left alone. A FormError says `prefilled` when the value was not the caller's."""
    fields = form_fields(tab_schema)
    filled = form_prefill(tab_schema, prompt_data)
    values = dict(filled.values)
    given: set[str] = set()
    by_key = {f.key: f for f in fields}
    for name, value in (overrides or {}).items():
        f = by_key.get(name) or next((x for x in fields if x.destination == name), None)
        destination = f.destination if f else name
        values[destination] = value
        given.add(destination)
    for f in fields:
        if f.destination not in values:
            continue
        try:
            values[f.destination] = check_value(f, values[f.destination])
        except FormError as exc:
            exc.field = f
            exc.prefilled = f.destination not in given
            raise
    return FormValues(values, {dest: note for dest, note in filled.notes.items() if dest not in given})


def form_values(tab_schema: dict[str, Any], prompt_data: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Pre-filled values fitted to the form, then overrides (by destination or by field key),
    coerced and checked; see `form_check` for the notes on what was fitted."""
    return form_check(tab_schema, prompt_data, overrides).values
