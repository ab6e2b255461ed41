"""The `user.form` table: one row per data item (its text, then its fields), a header of field
titles, tab or up/down to move, ctrl+s to check the rows and send them.

The rows are checked with the engine's own `check_rows` before they are sent, so that a value
the form's schema refuses is shown at its cell, with the creator's other values kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from cctui.engine.form_rows import FormRowError, check_rows, form_columns, required_keys
from cctui.engine.forms import FormField
from cctui.ui.widgets.choice_cell import ChoiceCell


def _cell(f: FormField, value: Any, required: bool) -> Widget:
    schema = f.schema
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return ChoiceCell(schema["enum"], [str(o) for o in schema["enum"]], value)
    if schema.get("type") == "boolean":
        return ChoiceCell([True, False], ["yes", "no"], bool(value))
    if schema.get("type") in ("array", "object"):
        # Not typed in a one-line cell: the row keeps its default (shown), as the seed's would.
        return Static(json.dumps(value, ensure_ascii=False) if value is not None else "-", markup=False)
    kind = {"integer": "integer", "number": "number"}.get(schema.get("type"), "text")
    text = "" if value is None else str(value)
    return Input(text, type=kind, placeholder="required" if required else "", compact=True,
                 select_on_focus=False, valid_empty=True, tooltip=schema.get("description"))


class FormTable(Vertical):
    DEFAULT_CSS = """
    FormTable { height: auto; padding: 0 1; }
    FormTable .form-row { height: 1; margin-bottom: 1; }
    FormTable .form-row.-current .form-item { text-style: bold; color: $text-primary; }
    FormTable .form-head { height: 1; color: $text-muted; text-style: bold; margin-bottom: 1; }
    FormTable .form-item { width: 1fr; min-width: 14; padding-right: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FormTable .form-cell { width: 14; margin-left: 1; }
    FormTable .form-cell.-wide { width: 1fr; min-width: 14; }
    FormTable Input.form-cell { background: $boost; }
    FormTable Input.form-cell:focus { background: $primary 30%; }
    FormTable .form-cell.-refused, FormTable Input.form-cell.-refused:focus { background: $error 40%; }
    FormTable #form-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit form", id="form.submit", tooltip="Check every row and send the form"),
        Binding("up", "row(-1)", "Row above", show=False, id="form.up", tooltip="The same field in the row above"),
        Binding("down", "row(1)", "Row below", show=False, id="form.down", tooltip="The same field in the row below"),
        Binding("enter", "next_cell", "Next field", show=False, id="form.next", tooltip="The next field"),
    ]

    @dataclass
    class Submitted(Message):
        """The rows' values, as typed, after `check_rows` accepted them."""

        table: "FormTable"
        rows: list[dict[str, Any]]

        @property
        def control(self) -> "FormTable":
            return self.table

    def __init__(self, input_schema: dict[str, Any], labels: list[str], rows: list[dict[str, Any]], *,
                 id: str | None = None):
        super().__init__(id=id)
        self.input_schema = input_schema
        self.labels = labels
        self.columns = form_columns(input_schema)
        required = required_keys(input_schema)
        self.grid: list[list[Widget]] = []
        for i, label in enumerate(labels):
            defaults = rows[i] if i < len(rows) else {}
            cells = [_cell(f, defaults.get(f.key), f.key in required) for f in self.columns]
            for f, cell in zip(self.columns, cells):
                cell.add_class("form-cell")
                cell.set_class(f.schema.get("type") in (None, "string") and "enum" not in f.schema, "-wide")
            self.grid.append(cells)
        self._required = required

    def compose(self) -> ComposeResult:
        head = [Static("Item", classes="form-item")]
        for f in self.columns:
            title = f.title + ("*" if f.key in self._required else "")
            wide = f.schema.get("type") in (None, "string") and "enum" not in f.schema
            head.append(Static(title, classes="form-cell -wide" if wide else "form-cell", markup=False))
        yield Horizontal(*head, classes="form-head")
        for i, label in enumerate(self.labels):
            yield Horizontal(Static(f"{i + 1}. {label}", classes="form-item", markup=False), *self.grid[i],
                             classes="form-row")
        if not self.labels:
            yield Static("There is nothing to fill in: the list is empty. ctrl+s goes on.", markup=False)
        yield Static("", id="form-error", markup=False)

    def focus_first(self) -> None:
        for row in self.grid:
            for cell in row:
                if cell.can_focus:
                    cell.focus()
                    return

    def on_descendant_focus(self) -> None:
        # The row being edited stands out (its item text), so that a cell is never read against another row.
        where = self._position()
        for r, row in enumerate(self.query(".form-row")):
            row.set_class(where is not None and where[0] == r, "-current")

    def _position(self) -> tuple[int, int] | None:
        focused = self.screen.focused
        for r, row in enumerate(self.grid):
            for c, cell in enumerate(row):
                if cell is focused:
                    return r, c
        return None

    def action_row(self, delta: int) -> None:
        where = self._position()
        if where is None:
            return
        r, c = where
        target = r + delta
        if 0 <= target < len(self.grid) and self.grid[target][c].can_focus:
            self.grid[target][c].focus()

    def action_next_cell(self) -> None:
        self.screen.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    def values(self) -> list[dict[str, Any]]:
        """Each row's values as the cells hold them (typed text is checked and converted by `check_rows`)."""
        rows = []
        for cells in self.grid:
            row: dict[str, Any] = {}
            for f, cell in zip(self.columns, cells):
                if isinstance(cell, ChoiceCell):
                    row[f.key] = cell.value
                elif isinstance(cell, Input):
                    row[f.key] = cell.value
            rows.append(row)
        return rows

    def action_submit(self) -> None:
        rows = self.values()
        for row in self.grid:
            for cell in row:
                cell.remove_class("-refused")
        try:
            check_rows(self.input_schema, self.labels, rows, self.labels, "form")
        except FormRowError as exc:
            self.show_error(exc)
            return
        self.query_one("#form-error", Static).update("")
        self.post_message(self.Submitted(self, rows))

    def show_error(self, exc: FormRowError) -> None:
        where = ""
        if exc.row is not None:
            where = f"Row {exc.row + 1}"
            if exc.row < len(self.labels) and self.labels[exc.row]:
                where += f" ({self.labels[exc.row]})"
            where += ": "
        self.query_one("#form-error", Static).update(where + exc.reason)
        keys = [f.key for f in self.columns]
        if exc.row is not None and exc.key in keys:
            cell = self.grid[exc.row][keys.index(exc.key)]
            cell.add_class("-refused")
            if cell.can_focus:
                cell.focus()
