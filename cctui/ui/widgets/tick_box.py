"""A checkbox that reads without colour: ✓ when on, blank when off.

Textual's draws an X in both states and tells them apart by colour alone, so "Keep the clip's
own sound" looked ticked when it was off (and always does with NO_COLOR)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button


__all__ = ["TickBox"]
