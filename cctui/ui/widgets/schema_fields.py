"""Turning a display schema and its data into widgets, by the `_ux` vocabulary.

`build_node` walks the schema and the data together and never raises: the data drives the
shape (an object renders fields, a list renders items), the schema only adds hints, and data
the schema does not describe is shown plainly. Text is never parsed as markup.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from cctui.engine.ux import display_mode, ux
from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.widgets.schema_card import COPY_CLASS, SchemaCard, copy_to_clipboard

LABEL_STYLE = "dim"
EMPTY = "—"


@dataclass
class BuildContext:
    """What the walk needs to know about selection, and what it collects."""

    selectable_path: tuple | None = None
    selectable_items: list | None = None
    selected: set[int] = field(default_factory=set)
    cards: list[SchemaCard] = field(default_factory=list)
    """Every card built, in order (selectable or not)."""
    copy_fields: int = 0


# -- text helpers ---------------------------------------------------------------------------

def humanise(name: str) -> str:
    """`visual_tone` / `visualTone` / `visual-tone` -> `Visual Tone`."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name)).replace("_", " ").replace("-", " ").split()
    return " ".join(w[:1].upper() + w[1:] for w in words)


def scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def plain_text(value: Any) -> str:
    """The text `c` copies: lists one item a line, objects `key: value` a line."""
    if isinstance(value, list):
        return "\n".join(plain_text(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {scalar_text(v)}" for k, v in value.items())
    return scalar_text(value)


def _colour(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return Color.parse(value.strip()).hex
    except ColorParseError:
        return None


def value_style(hints: dict[str, Any], *, title: bool = False) -> str:
    """`bold <highlight_color>` for highlighted values; card titles are always bold."""
    colour = _colour(hints.get("highlight_color"))
    highlight = hints.get("highlight", colour is not None) is True
    parts = ["bold"] if (highlight or title) else []
    if highlight:
        parts.append(colour or "$text-accent")
    return " ".join(parts)


def _nudges(hints: dict[str, Any]) -> list[str]:
    nudges = hints.get("nudges")
    if isinstance(nudges, str):
        return [nudges]
    return [n for n in nudges if isinstance(n, str)] if isinstance(nudges, list) else []


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


# -- small widgets --------------------------------------------------------------------------

def label_line(label: str, *, copy_hint: bool = False) -> Static:
    parts: list[Any] = [(label, LABEL_STYLE)]
    if copy_hint:
        parts.append(("  y: copy", "dim italic"))
    return Static(Content.assemble(*parts), classes="schema-label")


def field_line(label: str | None, value: Any, style: str) -> Static:
    text = scalar_text(value) or EMPTY
    if label is None:
        return Static(Content.styled(text, style), classes="schema-value")
    return Static(Content.assemble((f"{label}: ", LABEL_STYLE), (text, style)), classes="schema-field")


def bullets(values: list[Any], style: str) -> Static:
    """A bulleted list with a hanging indent, one Static for the lot."""
    grid = Table.grid(padding=(0, 1, 0, 0), expand=True)
    grid.add_column(width=1, no_wrap=True, style=LABEL_STYLE)
    grid.add_column(ratio=1)
    rich_style = style.replace("$text-accent", "").strip()
    for value in values:
        grid.add_row("•", Text(scalar_text(value), style=rich_style))
    return Static(grid, classes="schema-bullets")


def table(items: list[Any], item_schema: dict[str, Any]) -> Static:
    """A simple aligned table: columns from the item schema's visible properties, else the data's."""
    props = item_schema.get("properties") if isinstance(item_schema.get("properties"), dict) else {}
    rows = [item if isinstance(item, dict) else {"": item} for item in items]
    columns = [k for k, sub in props.items() if display_mode(sub) != "hidden"]
    if not any(k in row for row in rows for k in columns):
        columns = list(dict.fromkeys(k for row in rows for k in row))
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 header_style="bold", border_style=LABEL_STYLE)
    for key in columns:
        hints = ux(props.get(key))
        name = _label(key, hints) or ""
        grid.add_column(Text(str(name)), style=value_style(hints).replace("$text-accent", "").strip())
    for row in rows:
        grid.add_row(*(Text(plain_text(row.get(k)).replace("\n", ", ")) for k in columns))
    return Static(grid, classes="schema-table")


class CopyField(Vertical, can_focus=True):
    """A field with the `copy` nudge: focus it (or its card) and press `c`."""

    DEFAULT_CSS = """
    CopyField { height: auto; }
    CopyField:focus { background: $primary 20%; }
    """

    BINDINGS = [
        Binding("y", "copy", "Copy", id="schema.copy_field", tooltip="Copy this text to the clipboard"),
    ]

    def __init__(self, children: list[Widget], copy_text: str):
        super().__init__(*children, classes=COPY_CLASS)
        self.copy_text = copy_text

    def action_copy(self) -> None:
        copy_to_clipboard(self, self.copy_text)


class SchemaPanel(Vertical):
    """`render_as: content-panel`: a titled bordered panel holding its children."""

    DEFAULT_CSS = """
    SchemaPanel {
        height: auto;
        border: round $primary;
        border-title-color: $text-primary;
        border-title-style: bold;
        padding: 0 1;
        margin-bottom: 1;
    }
    """

    def __init__(self, title: str | None, children: list[Widget]):
        super().__init__(*children, classes="schema-panel")
        if title:
            self.border_title = Content(title)


# -- the walk -------------------------------------------------------------------------------

def _label(name: str | None, hints: dict[str, Any]) -> str | None:
    """`display_label`, else `tab_label` (a label too), else the property name humanised."""
    for key in ("display_label", "tab_label"):
        label = hints.get(key)
        if isinstance(label, (str, int, float)) and not isinstance(label, bool) and str(label):
            return str(label)
    return humanise(name) if name else None


def _group(label: str | None, children: list[Widget]) -> list[Widget]:
    if label is None or not children:
        return children
    return [Vertical(label_line(label), Vertical(*children, classes="schema-group-body"),
                     classes="schema-group")]


def build_node(name: str | None, schema: Any, data: Any, ctx: BuildContext,
               path: tuple = ()) -> list[Widget]:
    """Widgets for one schema node and its data; `name` is the property name (None at the root)."""
    schema = schema if isinstance(schema, dict) else {}
    mode = display_mode(schema)
    if mode == "hidden":
        return []
    hints = ux(schema)
    if mode == "passthrough":
        return children(schema, data, ctx, path)
    render_as = hints.get("render_as")
    label = _label(name, hints)
    if render_as == "content-panel":
        return [SchemaPanel(label, children(schema, data, ctx, path))]
    if render_as == "image":
        source = data.get("local_path") if isinstance(data, dict) else data
        # Fitted to the card at its aspect; a click selects the card, z (the run screen) zooms it.
        return [FittedPicture(source if isinstance(source, str) and source else None, label or "", max_height=12,
                              opens=False)]
    if render_as == "card-title" and _is_scalar(data):
        text = scalar_text(data) or EMPTY
        return [Static(Content.styled(text, value_style(hints, title=True)), classes="schema-card-title")]
    if isinstance(data, dict):
        return _group(label, _object_fields(schema, data, ctx, path))
    if isinstance(data, list):
        return _array(label, schema, data, ctx, path, hints)
    copy = "copy" in _nudges(hints)
    if render_as == "text" or copy:
        widgets: list[Widget] = [Static(Content.styled(scalar_text(data) or EMPTY, value_style(hints)),
                                        classes="schema-text")]
        if label is not None:
            widgets.insert(0, label_line(label, copy_hint=copy))
        return [_copy_field(ctx, widgets, data)] if copy else widgets
    return [field_line(label, data, value_style(hints))]


def children(schema: dict[str, Any], data: Any, ctx: BuildContext, path: tuple) -> list[Widget]:
    """The node's content without its own frame or label."""
    if isinstance(data, dict):
        return _object_fields(schema, data, ctx, path)
    if isinstance(data, list):
        return _array(None, schema, data, ctx, path, ux(schema))
    return [field_line(None, data, value_style(ux(schema)))]


def _object_fields(schema: dict[str, Any], data: dict[str, Any], ctx: BuildContext,
                   path: tuple) -> list[Widget]:
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    names = [n for n in props if n in data]
    if not names:  # no schema, or a schema that describes other data: show what is there
        names, props = list(data), {}
    widgets: list[Widget] = []
    for name in names:
        try:
            widgets += build_node(str(name), props.get(name), data[name], ctx, path + (name,))
        except Exception as exc:  # a display schema is advisory: never fail the whole view
            widgets.append(field_line(humanise(str(name)), f"(cannot show: {exc})", LABEL_STYLE))
    return widgets


def _array(label: str | None, schema: dict[str, Any], data: list[Any], ctx: BuildContext,
           path: tuple, hints: dict[str, Any]) -> list[Widget]:
    item_schema = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    item_hints = ux(item_schema)
    selectable = ctx.selectable_items is data and ctx.selectable_path == path
    render_as = hints.get("render_as")
    copy = "copy" in _nudges(hints)
    if display_mode(item_schema) == "hidden" and not selectable:
        return []
    if not data and render_as != "table":
        return [field_line(label, EMPTY, LABEL_STYLE)]
    if render_as == "table":
        body: list[Widget] = [table(data, item_schema)]
    elif all(_is_scalar(v) for v in data) and not selectable and item_hints.get("render_as") != "card":
        style = value_style(hints) or value_style(item_hints)
        if render_as == "list":
            body = [bullets(data, style)]
        else:
            text = ", ".join(scalar_text(v) for v in data) or EMPTY
            if not copy:
                return [field_line(label, text, style)]
            body = [Static(Content.styled(text, style), classes="schema-text")]
    else:
        return _group(label, [w for i, item in enumerate(data)
                              for w in _item(i, item_schema, item, ctx, path, selectable)])
    if label is not None:
        body.insert(0, label_line(label, copy_hint=copy))
    return [_copy_field(ctx, body, data)] if copy else body


def _copy_field(ctx: BuildContext, widgets: list[Widget], data: Any) -> CopyField:
    ctx.copy_fields += 1
    return CopyField(widgets, plain_text(data))


def _item(index: int, schema: dict[str, Any], item: Any, ctx: BuildContext, path: tuple,
          selectable: bool) -> list[Widget]:
    hints = ux(schema)
    item_path = path + (index,)
    if display_mode(schema) == "passthrough" and not selectable:
        return children(schema, item, ctx, item_path)
    if hints.get("render_as") != "card" and not selectable:
        return [Vertical(*children(schema, item, ctx, item_path), classes="schema-item")]
    nudges = _nudges(hints)
    if _is_scalar(item):
        body: list[Widget] = [Static(Content.styled(scalar_text(item) or EMPTY, value_style(hints)),
                                     classes="schema-value")]
    else:
        body = children(schema, item, ctx, item_path)
    card = SchemaCard(body, index=index, badge="index-badge" in nudges, selectable=selectable,
                      copy_text=plain_text(item) if "copy" in nudges else None,
                      selected=selectable and index in ctx.selected)
    ctx.cards.append(card)
    return [card]
