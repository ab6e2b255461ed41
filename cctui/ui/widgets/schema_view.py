"""Any display schema and its data, drawn by the `_ux` vocabulary, optionally as a selection.

The selectable list is `cctui.engine.ux.find_selectable(schema, data)`, the same function the
engine uses to check an answer, so the UI and the engine always agree on what an index means.
Drawing lives in `schema_fields` (the walk) and `schema_card` (one card).

`SchemaView` scrolls vertically (height `1fr`; give it `height: auto` to let a parent scroll).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from cctui.engine.ux import find_selectable
from cctui.ui.widgets.schema_card import SchemaCard
from cctui.ui.widgets.schema_fields import BuildContext, build_node


class SchemaView(VerticalScroll):
    """Renders `data` as `schema` describes it; with `selectable=True` its cards can be chosen."""

    DEFAULT_CSS = """
    SchemaView {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        padding-right: 1;
    }
    SchemaView .schema-group, SchemaView .schema-group-body, SchemaView .schema-item,
    SchemaView .schema-field, SchemaView .schema-text, SchemaView .schema-value,
    SchemaView .schema-bullets, SchemaView .schema-table { height: auto; }
    SchemaView .schema-group-body { padding-left: 2; }
    SchemaView .schema-item { margin-bottom: 1; }
    /* Fixed height, width from the aspect ratio: a 1fr-wide image capped in height is cropped. */
    SchemaView Picture > .picture-image { width: auto; max-width: 100%; height: 12; max-height: 12; }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Previous", show=False, id="schema.previous",
                tooltip="Move to the previous card"),
        Binding("down,j", "cursor(1)", "Next", show=False, id="schema.next",
                tooltip="Move to the next card"),
        Binding("space", "toggle", "Select", id="schema.toggle",
                tooltip="Select this card (or unselect it, when several can be chosen)"),
        Binding("enter", "submit", "Choose", id="schema.submit",
                tooltip="Choose the selection (this card, when only one can be chosen or none is selected yet)"),
    ]

    @dataclass
    class SelectionChanged(Message):
        """The set of selected cards changed (by key or click)."""

        view: "SchemaView"
        selected: list[int]

        @property
        def control(self) -> "SchemaView":
            return self.view

    @dataclass
    class Submitted(Message):
        """The creator chose: `selected` indexes the selectable list."""

        view: "SchemaView"
        selected: list[int]

        @property
        def control(self) -> "SchemaView":
            return self.view

    def __init__(self, schema: Any, data: Any, *, selectable: bool = False, multi: bool = False,
                 max_selections: int | None = None, initial: Iterable[int] | None = None,
                 id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.schema = schema
        self.data = data
        self.selectable = selectable
        self.multi = multi
        self.max_selections = max_selections if max_selections and max_selections > 0 else None
        try:
            found = find_selectable(schema, data) if selectable else None
        except (AttributeError, TypeError):  # a malformed schema (`properties` not an object)
            found = None
        self.selectable_path: tuple | None = found[0] if found else None
        self.selectable_items: list = found[1] if found else []
        self._selected: set[int] = self._clean(initial or ())
        # Built here, not in compose, so that focusability is known before the screen picks
        # what to focus first: with cards or copyable fields, focus goes to them.
        ctx = BuildContext(selectable_path=self.selectable_path,
                           selectable_items=self.selectable_items if found else None,
                           selected=set(self._selected))
        try:
            self._widgets = build_node(None, schema, data, ctx)
        except Exception as exc:  # a display schema is advisory: show the problem, never fail
            ctx.cards.clear()
            self._widgets = [Static(f"(cannot show this data: {exc})", markup=False)]
        self._cards: list[SchemaCard] = [card for card in ctx.cards if card.selectable]
        self._stops: list[SchemaCard] = [card for card in ctx.cards if card.can_focus]
        self.can_focus = not self._stops and not ctx.copy_fields

    def _clean(self, indices: Iterable[int]) -> set[int]:
        valid = [i for i in indices if isinstance(i, int) and not isinstance(i, bool)
                 and 0 <= i < len(self.selectable_items)]
        limit = (self.max_selections or len(valid)) if self.multi else 1
        return set(list(dict.fromkeys(valid))[:limit])

    @property
    def selected(self) -> list[int]:
        """Selected indices into the selectable list, sorted."""
        return sorted(self._selected)

    def compose(self) -> ComposeResult:
        yield from self._widgets

    def focus(self, scroll_visible: bool = True) -> "SchemaView":
        """Focus the first selected card, else the first card, else the view itself."""
        target = next((c for c in self._cards if c.selected), None) or (self._stops or [None])[0]
        if target is not None:
            target.focus(scroll_visible)
            return self
        return super().focus(scroll_visible)

    # -- cursor -------------------------------------------------------------------------------

    def _current(self) -> SchemaCard | None:
        node: Any = self.screen.focused if self.is_mounted else None
        while node is not None and node is not self:
            if isinstance(node, SchemaCard) and node in self._stops:
                return node
            node = node.parent
        return None

    def action_cursor(self, delta: int) -> None:
        if not self._stops:
            self.scroll_relative(y=delta, animate=False)
            return
        current = self._current()
        if current is None:
            index = 0 if delta > 0 else len(self._stops) - 1
        else:
            index = max(0, min(len(self._stops) - 1, self._stops.index(current) + delta))
        self._stops[index].focus()
        if index == 0:
            self.scroll_home(animate=False)

    # -- selection ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            # With one to choose, enter picks and goes on: space would only repeat it.
            return bool(self._cards) and self.multi
        if action == "submit":
            return bool(self._cards)
        return True

    def _focused_card(self) -> SchemaCard | None:
        card = self._current()
        return card if card in self._cards else None

    def _choose(self, card: SchemaCard) -> None:
        """Toggle (multi) or select (single) one card, refusing past `max_selections`."""
        new = set(self._selected)
        if not self.multi:
            new = {card.index}
        elif card.index in new:
            new.discard(card.index)
        elif self.max_selections is not None and len(new) >= self.max_selections:
            self.app.bell()
            self.notify(f"At most {self.max_selections} can be selected.", severity="warning", timeout=3)
            return
        else:
            new.add(card.index)
        self._set_selection(new)

    def _set_selection(self, new: set[int]) -> None:
        if new == self._selected:
            return
        self._selected = new
        for card in self._cards:
            card.selected = card.index in new
        self.post_message(self.SelectionChanged(self, self.selected))

    def action_toggle(self) -> None:
        card = self._focused_card()
        if card is not None:
            self._choose(card)

    def action_submit(self) -> None:
        card = self._focused_card()
        if card is not None and (not self.multi or not self._selected):
            self._choose(card)
        self.post_message(self.Submitted(self, self.selected))

    def on_schema_card_clicked(self, message: SchemaCard.Clicked) -> None:
        message.stop()
        if message.card in self._cards:
            message.card.focus()
            self._choose(message.card)

    @property
    def cards(self) -> list[SchemaCard]:
        """The selectable cards, in the order of the selectable list."""
        return list(self._cards)
