"""The overlay lines on a time axis: when each one shows in the final video."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

BAR = 24  # cells for the whole duration; enough to see gaps between lines at 60 s


def timeline_text(cues: list[dict[str, Any]], duration: float, bar: int = BAR) -> Text:
    out = Text()
    if not cues:
        out.append("No overlay lines.", style="italic")
        return out
    for i, cue in enumerate(cues):
        start, end = float(cue["start"]), float(cue["end"])
        first = int(bar * start / duration) if duration else 0
        last = max(first + 1, round(bar * end / duration)) if duration else bar
        out.append(f"{start:4.1f}–{end:4.1f} s ", style="dim")
        out.append("·" * first, style="dim")
        out.append("█" * (last - first), style="bold")
        out.append("·" * max(0, bar - last), style="dim")
        out.append("  " + str(cue["text"]))
        if i < len(cues) - 1:
            out.append("\n")
    return out


class OverlayTimeline(Static):
    DEFAULT_CSS = """
    OverlayTimeline { height: auto; padding: 0 1; }
    """

    def __init__(self, cues: list[dict[str, Any]], duration: float, *, id: str | None = None):
        super().__init__(timeline_text(cues, duration), id=id)
        self.cues = cues
        self.duration = duration


__all__ = ["OverlayTimeline", "timeline_text"]
