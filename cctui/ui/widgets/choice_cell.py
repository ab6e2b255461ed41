"""A one-line choice among a few options, for a table cell: `‹ soft ›`.

A Select opens an overlay and takes up/down, which a table needs for moving between rows; this
one changes with left/right (or space, or a click) and leaves up/down to its table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class ChoiceCell(Widget, can_focus=True):
    DEFAULT_CSS = """
    ChoiceCell {
        height: 1;
        width: 1fr;
        background: $boost;
    }
    ChoiceCell:focus {
        background: $primary 30%;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("left", "cycle(-1)", "Previous", show=False, id="choice.previous",
                tooltip="The previous option"),
        Binding("right,space", "cycle(1)", "Next option", show=False, id="choice.next", tooltip="The next option"),
    ]

    index: reactive[int] = reactive(0)

    @dataclass
    class Changed(Message):
        cell: "ChoiceCell"
        value: Any

        @property
        def control(self) -> "ChoiceCell":
            return self.cell

    def __init__(self, options: list[Any], labels: list[str], value: Any = None, *, id: str | None = None,
                 classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.options = options
        self.labels = labels
        self.set_reactive(ChoiceCell.index, options.index(value) if value in options else 0)

    @property
    def value(self) -> Any:
        return self.options[self.index] if self.options else None

    def watch_index(self) -> None:
        self.post_message(self.Changed(self, self.value))

    def action_cycle(self, direction: int) -> None:
        if self.options:
            self.index = (self.index + direction) % len(self.options)

    def render(self) -> Text:
        label = self.labels[self.index] if self.labels else ""
        return Text(f"‹ {label} ›", no_wrap=True, overflow="ellipsis")

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.action_cycle(1)


__all__ = ["ChoiceCell"]
