"""The rows of a `user.form` table: one per data item, its fields from the display schema's
`input_schema`, each row starting from that schema's defaults.

The seed system checks nothing here (its web client runs the schema); cctui has no such client,
so the rules of `input_schema` itself (type, enum, minimum/maximum, pattern, required) are checked
with the media forms' own `check_value`, and a refusal names the row, the item and the field.
The engine checks an answer with this; the app checks the creator's table with it before answering.
"""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import AnswerError
from cctui.engine.forms import FormError, FormField, check_value
from cctui.engine.ux import display_mode, ux

LABEL_CHARS = 120  # a row names its item in one line


class FormRowError(AnswerError):
    """A row of the form that does not fit `input_schema`; `row` (from 0) and `key` say where."""

    def __init__(self, message: str, *, row: int | None = None, key: str | None = None, reason: str = ""):
        super().__init__(message)
        self.row = row
        self.key = key
        self.reason = reason or message  # what is wrong, without where (a form shows where itself)


def input_schema_of(schema: Any) -> dict[str, Any] | None:
    """The form's own schema: `schema.input_schema` as the seed writes it (or under `_ux`)."""
    if not isinstance(schema, dict):
        return None
    found = schema.get("input_schema") or ux(schema).get("input_schema")
    return found if isinstance(found, dict) and isinstance(found.get("properties"), dict) else None


def form_columns(input_schema: dict[str, Any]) -> list[FormField]:
    return [FormField(key, key, sub if isinstance(sub, dict) else {})
            for key, sub in input_schema.get("properties", {}).items()]


def required_keys(input_schema: dict[str, Any]) -> set[str]:
    required = input_schema.get("required")
    return {str(k) for k in required} if isinstance(required, list) else set()


def row_defaults(input_schema: dict[str, Any]) -> dict[str, Any]:
    """What every row starts from, as the seed builds it: the fields that have a `default`."""
    return {f.key: f.schema["default"] for f in form_columns(input_schema) if "default" in f.schema}


def item_label(item: Any, schema: Any) -> str:
    """One line naming a data item: its visible scalar fields, those the schema shows as a title first."""
    if not isinstance(item, dict):
        text = "" if item is None else str(item)
    else:
        props = schema.get("properties") if isinstance(schema, dict) else None
        props = props if isinstance(props, dict) else {}
        keys = [k for k in props if k in item] + [k for k in item if k not in props]
        shown = [k for k in keys if not str(k).startswith("_") and display_mode(props.get(k)) == "visible"
                 and isinstance(item[k], (str, int, float)) and not isinstance(item[k], bool)]

        def is_title(key: str) -> bool:
            sub = props.get(key) if isinstance(props.get(key), dict) else {}
            return "title" in (sub.get("display"), ux(sub).get("render_as"), ux(sub).get("display_format"))

        shown.sort(key=lambda k: not is_title(k))
        text = " · ".join(str(item[k]) for k in shown if str(item[k]).strip())
    text = " ".join(text.split())
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_rows(input_schema: dict[str, Any], data: list[Any], rows: list[Any] | None,
               labels: list[str], where: str) -> list[dict[str, Any]]:
    """The checked field values of each row (defaults, then the given values), in data order.

    `rows` None keeps every row's defaults. A field left empty is dropped from its row (as the
    seed leaves a field with no default out), unless it is required."""
    if rows is None:
        rows = [{} for _ in data]
    if len(rows) != len(data):
        raise FormRowError(f"{where}: form_data has {len(rows)} row{'s' if len(rows) != 1 else ''}; the form "
                           f"has {len(data)}, one per item of `data` in order (give {{}} to keep a row's defaults)")
    columns = form_columns(input_schema)
    by_key = {f.key: f for f in columns}
    required = required_keys(input_schema)
    checked: list[dict[str, Any]] = []
    for i, given in enumerate(rows):
        row_name = f"form_data[{i}] (row {i + 1}" + (f", {labels[i]!r})" if i < len(labels) and labels[i] else ")")
        if not isinstance(given, dict):
            raise FormRowError(f"{where}: {row_name} must be an object of field values, such as {{}}", row=i)
        unknown = [k for k in given if k not in by_key]
        if unknown:
            raise FormRowError(f"{where}: {row_name} has no field {unknown[0]!r}; the form's fields are "
                               f"{', '.join(by_key) or 'none'}", row=i, key=str(unknown[0]))
        values = {**row_defaults(input_schema), **given}
        row: dict[str, Any] = {}
        for f in columns:
            value = values.get(f.key)
            if _empty(value):
                if f.key in required:
                    reason = f"{f.title} is required; fill it in"
                    raise FormRowError(f"{where}: {row_name}, field {f.key!r}: {reason}", row=i, key=f.key,
                                       reason=reason)
                if f.key in values and f.schema.get("type") in (None, "string"):
                    row[f.key] = value if isinstance(value, str) else ""
                continue
            try:
                row[f.key] = check_value(f, value)
            except FormError as exc:
                raise FormRowError(f"{where}: {row_name}, field {f.key!r}: {exc}", row=i, key=f.key,
                                   reason=str(exc)) from None
        checked.append(row)
    return checked
