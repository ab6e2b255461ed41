"""A one-line slider for a bounded number: `[=====>----] 5`.

Textual has no slider widget. This one is focusable, keeps a clamped and stepped reactive
`value`, moves with left/right (h/l) and home/end, jumps to a clicked position, and posts
`Slider.Changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

Number = int | float


def _fmt(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Slider(Widget, can_focus=True):
    """A number between `minimum` and `maximum`, changed in steps of `step`."""

    DEFAULT_CSS = """
    Slider {
        height: 1;
        width: 1fr;
        min-width: 12;
        color: $text-muted;
    }
    Slider:focus {
        color: $text;
        background: $boost;
        text-style: bold;
    }
    Slider > .slider--filled { color: $accent; }
    Slider > .slider--empty { color: $text-muted; }
    """

    COMPONENT_CLASSES = {"slider--filled", "slider--empty"}

    BINDINGS = [
        Binding("left", "step(-1)", "Less", show=False, id="slider.less",
                tooltip="Decrease the value by one step"),
        Binding("right", "step(1)", "More", show=False, id="slider.more",
                tooltip="Increase the value by one step"),
        Binding("home", "to_minimum", "Minimum", show=False, id="slider.min", tooltip="Set the minimum value"),
        Binding("end", "to_maximum", "Maximum", show=False, id="slider.max", tooltip="Set the maximum value"),
    ]

    value: reactive[Number] = reactive(0)

    @dataclass
    class Changed(Message):
        """The slider's value changed (by key, click or code)."""

        slider: "Slider"
        value: Number

        @property
        def control(self) -> "Slider":
            return self.slider

    def __init__(self, value: Number, minimum: Number, maximum: Number, step: Number = 1, *,
                 name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False, tooltip: str | None = None):
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if maximum < minimum:
            minimum, maximum = maximum, minimum
        self.minimum = minimum
        self.maximum = maximum
        self.step = step if step and step > 0 else 1
        self._integral = all(isinstance(x, int) and not isinstance(x, bool) for x in (minimum, maximum, self.step))
        if tooltip:
            self.tooltip = tooltip
        self.set_reactive(Slider.value, self.validate_value(value))

    # ------------------------------------------------------------------ value

    def validate_value(self, value: Number) -> Number:
        """Clamp to minimum..maximum and snap to the nearest step from the minimum."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float(self.minimum)
        number = min(max(number, self.minimum), self.maximum)
        steps = round((number - self.minimum) / self.step)
        number = min(self.minimum + steps * self.step, self.maximum)
        if self._integral:
            return int(round(number))
        return round(number, 10)

    def watch_value(self, value: Number) -> None:
        self.post_message(self.Changed(self, value))

    def action_step(self, direction: int) -> None:
        self.value = self.validate_value(self.value + direction * self.step)

    def action_to_minimum(self) -> None:
        self.value = self.minimum

    def action_to_maximum(self) -> None:
        self.value = self.maximum

    # ------------------------------------------------------------------ drawing

    @property
    def _label_width(self) -> int:
        return max(len(_fmt(self.minimum)), len(_fmt(self.maximum)), len(_fmt(self.value))) + 1

    @property
    def _label(self) -> str:
        # Padded to the widest value, so the bar keeps its length as the value changes.
        return f" {_fmt(self.value)}".ljust(self._label_width)

    def _bar_width(self, width: int) -> int:
        return max(2, width - 2 - self._label_width)

    def _fraction(self) -> float:
        span = self.maximum - self.minimum
        return 1.0 if span == 0 else (self.value - self.minimum) / span

    def render(self) -> Text:
        bar = self._bar_width(self.content_size.width)
        filled = int(round(self._fraction() * (bar - 1)))
        filled_style = self.get_component_rich_style("slider--filled")
        empty_style = self.get_component_rich_style("slider--empty")
        text = Text(no_wrap=True, overflow="crop")
        text.append("[")
        text.append("=" * filled + ">", style=filled_style)
        text.append("-" * (bar - filled - 1), style=empty_style)
        text.append("]")
        text.append(self._label)
        return text

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        bar = self._bar_width(self.content_size.width)
        x = offset.x - 1  # the opening bracket
        if x < 0 or x >= bar:
            return
        fraction = x / (bar - 1) if bar > 1 else 0.0
        self.value = self.validate_value(self.minimum + fraction * (self.maximum - self.minimum))
        self.focus()


__all__ = ["Slider"]
