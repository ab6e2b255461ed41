"""The form of one provider tab of a media step, built from the tab's `_ux.input_schema`.

Fields come from `cctui.engine.forms.form_fields`, their first values from `form_prefill`
(the prompt data's `source_field`, else the schema default, fitted to the field's bounds and
options; each adjusted value gets a note under its field), and `form_values` checks them
before anything is sent, so the form and the engine always agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.validation import Integer, Number
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from cctui.engine.forms import FormError, FormField, form_fields, form_prefill, form_values
from cctui.engine.ux import display_mode, ux
from cctui.safe_text import LINE_LIMIT, clean
from cctui.engine.price_estimate import estimate_price
from cctui.ui.widgets.slider import Slider
from cctui.ui.widgets.tick_box import TickBox

NARROW_SCREEN = 100  # columns; below this the grid uses `layout_columns_sm`


def dom_id(*parts: str) -> str:
    """A valid Textual id from free text (tab keys and field names come from workflow files)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(parts))


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class MediaForm(Vertical):
    """Inputs of one `tab.media` tab, the tab's read-only prompt notes, an estimate and Generate."""

    DEFAULT_CSS = """
    MediaForm { height: auto; padding: 0 1; }
    MediaForm > .media-fields {
        layout: grid;
        grid-size: 3;
        grid-rows: auto;
        grid-gutter: 0 2;
        height: auto;
    }
    MediaForm .media-field { height: auto; }
    MediaForm .media-field > Label { color: $text-muted; height: 1; }
    MediaForm .media-field > Slider { margin: 1 0; }
    MediaForm .media-field > TextArea { width: 1fr; }
    MediaForm .media-field > .media-prefill-note { color: $text-warning; height: auto; }
    MediaForm > .media-notes { height: auto; margin-top: 1; }
    MediaForm > .media-notes > Static { height: auto; }
    MediaForm > .media-form-error {
        display: none;
        color: $text-error;
        background: $error-muted;
        padding: 0 1;
        height: auto;
        margin-top: 1;
    }
    MediaForm > .media-form-error.-shown { display: block; }
    MediaForm > .media-unavailable {
        color: $text-warning;
        background: $warning-muted;
        padding: 0 1;
        height: auto;
        margin-bottom: 1;
    }
    MediaForm > .media-form-actions { height: auto; margin-top: 1; }
    MediaForm > .media-form-actions > Button { margin-right: 2; }
    MediaForm > .media-form-actions > .media-estimate {
        color: $text-muted;
        text-style: italic;
        height: 3;
        content-align: left middle;
        width: 1fr;
    }
    """

    @dataclass
    class GenerateRequested(Message):
        """The creator pressed Generate and the values passed `form_values`; keyed by destination."""

        tab: str
        values: dict[str, Any]
        form: "MediaForm | None" = None

        @property
        def control(self) -> "MediaForm | None":
            return self.form

    def __init__(self, tab_key: str, tab_schema: dict[str, Any], prompt_data: Any, *,
                 sub_action: Any = None, media: Any = None, id: str | None = None, classes: str | None = None):
        super().__init__(id=id or dom_id("media-form", tab_key), classes=classes)
        self.tab_key = tab_key
        self.media = media  # the provider client, which prices a request before it is sent
        self.tab_schema = tab_schema
        self.prompt_data = prompt_data if isinstance(prompt_data, dict) else {}
        self.sub_action = sub_action
        self.fields: list[FormField] = form_fields(tab_schema)
        prefill = form_prefill(tab_schema, self.prompt_data)
        self.defaults = prefill.values
        # Pre-filled values adjusted to fit their field, by destination: shown under the field.
        self.prefill_notes: dict[str, str] = prefill.notes
        self._widgets: dict[str, Widget] = {}  # by destination
        self._busy = False

    # ------------------------------------------------------------------ schema facts

    @property
    def hints(self) -> dict[str, Any]:
        return ux(self.tab_schema)

    @property
    def tab_label(self) -> str:
        return self.hints.get("tab_label") or self.hints.get("display_label") or self.tab_key

    @property
    def provider(self) -> str:
        return self.hints.get("provider") or self.tab_key

    @property
    def layout_hints(self) -> dict[str, Any]:
        return ux(self.hints.get("input_schema") or {})

    @property
    def generate_label(self) -> str:
        return _attr(self.sub_action, "label") or "Generate"

    @property
    def unavailable(self) -> str:
        """Why this tab cannot generate (its prompt is still shown, to copy), or ""."""
        reason = self.hints.get("unavailable")
        return str(reason) if reason else ""

    @property
    def busy(self) -> bool:
        return self._busy

    def columns_for(self, screen_width: int) -> int:
        hints = self.layout_hints
        if hints.get("layout") != "grid":
            return 1
        wide = hints.get("layout_columns") or 1
        narrow = hints.get("layout_columns_sm") or wide
        value = narrow if screen_width < NARROW_SCREEN else wide
        return max(1, int(value)) if isinstance(value, (int, float)) else 1

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        if self.unavailable:  # first: the creator reads why before reading the form
            yield Static(self.unavailable, classes="media-unavailable", markup=False)
        with Container(classes="media-fields"):
            for f in self.fields:
                with Vertical(classes="media-field", id=dom_id("field", self.tab_key, f.key)):
                    widget = self._input_for(f)
                    if not isinstance(widget, Checkbox):
                        yield Label(f.title, markup=False)
                    self._widgets[f.destination] = widget
                    yield widget
                    note = self.prefill_notes.get(f.destination)
                    if note:
                        yield Static(note, classes="media-prefill-note", markup=False,
                                     id=dom_id("prefill-note", self.tab_key, f.key))
        notes = list(self._notes())
        if notes:
            with Vertical(classes="media-notes"):
                yield from notes
        yield Static("", classes="media-form-error", markup=False)
        with Horizontal(classes="media-form-actions"):
            yield Button(self.generate_label, variant="primary", classes="media-generate",
                         disabled=bool(self.unavailable),
                         tooltip=f"Start one {self.tab_label} generation with these values (g)")
            yield Static(self._estimate_text(self.defaults), classes="media-estimate", markup=False)

    def _input_for(self, f: FormField) -> Widget:
        kind = f.hints.get("input_type") or ("select" if "enum" in f.schema else "text")
        wid = dom_id("input", self.tab_key, f.key)
        default = self.defaults.get(f.destination)
        schema = f.schema
        if kind == "textarea":
            area = TextArea(_shown(default) if default is not None else "", id=wid, soft_wrap=True,
                            show_line_numbers=False, tab_behavior="focus", classes="media-input")
            rows = f.hints.get("rows")
            area.styles.height = (int(rows) if isinstance(rows, int) and rows > 0 else 3) + 2
            return area
        if kind == "slider":
            low = schema.get("minimum", 0)
            high = schema.get("maximum", 10)
            step = schema.get("step") or f.hints.get("step") or 1
            value = default if isinstance(default, (int, float)) and not isinstance(default, bool) else low
            return Slider(value, low, high, step, id=wid, classes="media-input", tooltip=f.title)
        if kind == "select" or "enum" in schema:
            labels = schema.get("enum_labels") or f.hints.get("enum_labels") or {}
            options = [(str(labels.get(str(v), v)), v) for v in schema.get("enum") or []]
            known = default in [v for _, v in options]
            return Select(options, value=default if known else Select.NULL, allow_blank=not known,
                          id=wid, classes="media-input", prompt=f"Choose {f.title.lower()}")
        if kind == "checkbox" or schema.get("type") == "boolean":
            return TickBox(f.title, bool(default), id=wid, classes="media-input")
        # text and number
        number_type = schema.get("type") if schema.get("type") in ("integer", "number") else None
        if kind == "number" and number_type is None:
            number_type = "number"
        validators = []
        if number_type == "integer":
            validators.append(Integer(schema.get("minimum"), schema.get("maximum")))
        elif number_type == "number":
            validators.append(Number(schema.get("minimum"), schema.get("maximum")))
        return Input("" if default is None else _shown(default), type=number_type or "text", id=wid,
                     validators=validators, classes="media-input", placeholder=f.title)

    def _notes(self):
        """The tab's read-only prompt fields (`_ux.display` true), e.g. Motion, Notes, Style."""
        for name, sub in (self.tab_schema.get("properties") or {}).items():
            hints = ux(sub)
            if display_mode(sub) != "visible" or "display" not in hints:
                continue
            value = self.prompt_data.get(name)
            if value is None or value == "":
                continue
            label = hints.get("display_label") or sub.get("title") or name.replace("_", " ").capitalize()
            text = Text()
            text.append(f"{label}: ", style="bold")
            color = hints.get("highlight_color") if hints.get("highlight") else None
            text.append(_shown(value), style=color or "")
            yield Static(text, classes="media-note", id=dom_id("note", self.tab_key, name))

    def on_mount(self) -> None:
        self.apply_columns()

    def on_resize(self) -> None:
        self.apply_columns()

    def apply_columns(self, screen_width: int | None = None) -> None:
        """Grid columns for this screen width (`layout_columns_sm` when narrow), full spans to match."""
        if screen_width is None:
            screen_width = self.screen.size.width if self.is_attached else self.size.width
        columns = self.columns_for(screen_width)
        grid = self.query_one(".media-fields")
        if grid.styles.grid_size_columns != columns:
            grid.styles.grid_size_columns = columns
        for f in self.fields:
            span = f.hints.get("col_span")
            box = self.query_one("#" + dom_id("field", self.tab_key, f.key))
            wanted = columns if span == "full" else min(int(span), columns) if isinstance(span, int) else 1
            if box.styles.column_span != wanted:
                box.styles.column_span = wanted

    # ------------------------------------------------------------------ values

    def widget_for(self, destination: str) -> Widget:
        return self._widgets[destination]

    def raw_values(self) -> dict[str, Any]:
        """What the inputs hold now, by destination field, before checking."""
        values: dict[str, Any] = {}
        for dest, widget in self._widgets.items():
            if isinstance(widget, TextArea):
                values[dest] = widget.text
            elif isinstance(widget, Slider):
                values[dest] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    values[dest] = widget.value
            elif isinstance(widget, Checkbox):
                values[dest] = widget.value
            elif isinstance(widget, Input):
                text = widget.value.strip() if widget.type != "text" else widget.value
                if text == "" and widget.type != "text" and dest not in self.defaults:
                    continue  # optional number left empty: the provider's own default applies
                values[dest] = text
        return values

    def checked_values(self) -> dict[str, Any]:
        """The values as `form_values` checks and coerces them; raises FormError."""
        return form_values(self.tab_schema, self.prompt_data, self.raw_values())

    def request_generate(self) -> bool:
        """Check the values and post GenerateRequested; a FormError is shown here instead."""
        if self._busy:
            return False
        if self.unavailable:
            self.show_error(f"{self.unavailable} Nothing was sent.")
            return False
        try:
            values = self.checked_values()
        except FormError as exc:
            self.show_error(str(exc))
            return False
        self.show_error(None)
        self.post_message(self.GenerateRequested(self.tab_key, values, self))
        return True

    def show_error(self, message: str | None) -> None:
        box = self.query_one(".media-form-error", Static)
        box.update(clean(message or "", LINE_LIMIT))  # an engine's or provider's message
        box.set_class(bool(message), "-shown")
        if message:
            box.scroll_visible()

    def set_busy(self, busy: bool) -> None:
        """While a generation is being started: the button says so and cannot be pressed."""
        self._busy = busy
        button = self.query_one(".media-generate", Button)
        button.disabled = busy or bool(self.unavailable)
        button.label = (_attr(self.sub_action, "loading_label") or "Working...") if busy else self.generate_label

    # ------------------------------------------------------------------ estimate

    def _estimate_text(self, values: dict[str, Any]) -> str:
        return estimate_price(self.provider, _attr(self.sub_action, "action_type"), values, self.media) or ""

    def _update_estimate(self) -> None:
        if self.is_mounted:
            self.query_one(".media-estimate", Static).update(self._estimate_text(self.raw_values()))

    @on(Select.Changed)
    @on(Slider.Changed)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _value_changed(self) -> None:
        self._update_estimate()

    @on(Button.Pressed, ".media-generate")
    def _generate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.request_generate()


__all__ = ["MediaForm", "NARROW_SCREEN", "dom_id"]
