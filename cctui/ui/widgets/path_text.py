"""A file path shown whole: when it does not fit, it breaks only after a folder separator, so a
file name is never split in two (a creator copies it, or reads it to find the file)."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widget import Widget

_PARTS = re.compile(r"[^/\\]*[/\\]|[^/\\]+$")


def fold_path(path: str, width: int) -> str:
    """`path` on as few lines of `width` as breaking after separators allows."""
    if width <= 0 or len(path) <= width:
        return path
    lines: list[str] = []
    line = ""
    for part in _PARTS.findall(path):
        if line and len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return "\n".join(lines)


class PathText(Widget):
    """One path, folded at separators to the width it is given."""

    DEFAULT_CSS = "PathText { height: auto; width: 1fr; }"

    def __init__(self, path: str, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.path = path

    def render(self) -> Text:
        # No wrapping of its own: an over-long single name is cut by the widget's width, not folded.
        return Text(fold_path(self.path, self.size.width), no_wrap=False, overflow="fold")

    def get_content_width(self, container, viewport) -> int:
        return len(self.path)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(Text(fold_path(self.path, width)).wrap(self.app.console, max(width, 1), overflow="fold"))
