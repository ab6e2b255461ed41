"""One item of an array drawn as a bordered card: an index badge, a selection marker, a copy key.

The card knows nothing about schemas: the builder in `schema_fields` hands it its body widgets.
A selectable card is focusable and tells its `SchemaView` when it is clicked; the view owns the
selection and sets `selected`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

COPY_CLASS = "schema-copy"
"""CSS class of a widget whose `copy_text` attribute is what `c` copies."""


def copy_to_clipboard(widget: Widget, text: str) -> None:
    """Copy `text` through the app (OSC 52) and say so."""
    widget.app.copy_to_clipboard(text)
    widget.notify("Copied to the clipboard", timeout=2)


class SchemaCard(Vertical):
    """A bordered box for one array item; focusable when it can be selected or copied."""

    DEFAULT_CSS = """
    SchemaCard {
        height: auto;
        padding: 0 1;
        border: round $foreground 25%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
    }
    SchemaCard:focus, SchemaCard:focus-within {
        border: round $primary;
        border-title-color: $text-primary;
        background-tint: $foreground 4%;
    }
    SchemaCard.-selected {
        border: round $accent;
        border-title-color: $text-accent;
        border-title-style: bold;
    }
    SchemaCard.-selected:focus, SchemaCard.-selected:focus-within {
        border: heavy $accent;
    }
    """

    BINDINGS = [
        Binding("y", "copy", "Copy", id="schema.copy", tooltip="Copy this card's text to the clipboard"),
    ]

    selected: reactive[bool] = reactive(False)

    @dataclass
    class Clicked(Message):
        """The card was clicked (only posted by selectable cards)."""

        card: "SchemaCard"

        @property
        def control(self) -> "SchemaCard":
            return self.card

    def __init__(self, body: list[Widget], *, index: int, badge: bool = False,
                 selectable: bool = False, copy_text: str | None = None, selected: bool = False):
        super().__init__(classes="schema-card")
        self._body = body
        self.index = index
        self.badge = badge
        self.selectable = selectable
        self._copy_text = copy_text
        self.can_focus = selectable or copy_text is not None
        self.set_reactive(SchemaCard.selected, selected)
        if copy_text is not None:
            self.border_subtitle = "y: copy"

    def compose(self) -> ComposeResult:
        yield from self._body

    def on_mount(self) -> None:
        self._show_selected()

    def watch_selected(self) -> None:
        self._show_selected()

    def on_focus(self) -> None:
        self._show_selected(focused=True)

    def on_blur(self) -> None:
        self._show_selected(focused=False)

    def _show_selected(self, focused: bool | None = None) -> None:
        self.set_class(self.selected, "-selected")
        parts: list[str | tuple[str, str]] = []
        if self.has_focus if focused is None else focused:
            # The highlighted card says so in text too: its colour alone is lost with NO_COLOR.
            parts.append(("▶", "bold"))
        if self.badge:
            parts += [" " if parts else "", f"[{self.index + 1}]"]
        if self.selected:
            parts += [" " if parts else "", ("✓ selected", "bold")]
        self.border_title = Content.assemble(*parts) if parts else None

    def copy_text(self) -> str | None:
        """The card's own text if it has the copy nudge, else the first copyable field's."""
        if self._copy_text is not None:
            return self._copy_text
        for field in self.query(f".{COPY_CLASS}"):
            return getattr(field, "copy_text", None)
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return self.copy_text() is not None
        return True

    def action_copy(self) -> None:
        text = self.copy_text()
        if text is not None:
            copy_to_clipboard(self, text)

    def on_click(self, event: events.Click) -> None:
        if self.selectable:
            event.stop()
            self.post_message(self.Clicked(self))
