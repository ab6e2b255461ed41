"""One finished file of a generation (an image, a video by its poster frame, a track): the thing a
creator picks. Focusing it (tab or click) selects it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from cctui.ui.widgets.fitted_picture import FittedPicture

KIND_MARK = {"video": "▶", "audio": "♪", "image": "▣"}
# Rows of the view a generation's picture leaves free: its caption and border, the card's title and status.
ROOM = 7


def item_file_name(item: dict[str, Any]) -> str:
    path = item.get("local_path") or item.get("url") or ""
    return Path(path).name or str(item.get("content_id", ""))


TIMING = {"alignment": "words timed by the voice service", "transcription": "words timed by a transcription",
          "estimated": "word timing estimated"}


def sound_note(item: dict[str, Any]) -> str:
    """A sound's length and, for a voice, where its word timing came from: `  (10.4 s, ...)`."""
    meta = item.get("metadata") or {}
    parts = []
    if isinstance(meta.get("duration"), (int, float)) and meta["duration"] > 0:
        parts.append(f"{meta['duration']:.1f} s")
    if meta.get("timing_source") in TIMING:
        parts.append(TIMING[meta["timing_source"]])
    return f"  ({', '.join(parts)})" if parts else ""


def item_picture_path(item: dict[str, Any]) -> str | None:
    """The poster frame of a video, the file itself for an image, nothing for sound."""
    if item.get("kind") == "image":
        return item.get("local_path")
    meta = item.get("metadata") or {}
    if item.get("kind") == "video":
        return meta.get("poster_path")
    return None


class GenerationItem(Vertical, can_focus=True):
    """A selectable file of a generation."""

    DEFAULT_CSS = """
    GenerationItem {
        height: auto;
        width: 1fr;
        border: round $panel-lighten-2;
        padding: 0 0;
    }
    GenerationItem:focus { border: round $accent; background: $boost; }
    GenerationItem.-selected { border: double $success; }
    GenerationItem.-selected:focus { border: double $accent; }
    GenerationItem > .item-name { height: 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("space", "select_item", "Select", show=False, id="media.item.select",
                tooltip="Select this file as the step's choice"),
    ]

    @dataclass
    class Selected(Message):
        """The creator selected this file (by focus, click or space)."""

        item: "GenerationItem"
        content_id: str

        @property
        def control(self) -> "GenerationItem":
            return self.item

    def __init__(self, item: dict[str, Any], *, selected: bool = False, id: str | None = None):
        super().__init__(id=id, classes="-selected" if selected else None)
        self.item = item
        self.border_subtitle = "✓ chosen" if selected else ""

    @property
    def content_id(self) -> str:
        return str(self.item.get("content_id"))

    @property
    def path(self) -> str | None:
        return self.item.get("local_path")

    def compose(self) -> ComposeResult:
        name = f"{KIND_MARK.get(self.item.get('kind', ''), '·')} {item_file_name(self.item)}"
        picture = item_picture_path(self.item)
        if picture:
            # The whole item fits the view with the card's title above it (ROOM), and a click
            # selects: a double click (or z) shows it full-screen.
            provider = self.item.get("provider")
            yield FittedPicture(picture, name, max_height=None, room=ROOM, stands_for=self.path or picture,
                                title=f"made by {provider}" if provider else None, opens=False)
        else:
            yield Static(name + sound_note(self.item), classes="item-name", markup=False)

    def set_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")
        self.border_subtitle = "✓ chosen" if selected else ""

    def action_select_item(self) -> None:
        self.post_message(self.Selected(self, self.content_id))

    @property
    def picture(self) -> FittedPicture | None:
        """The picture shown for this file (an image, a video's poster), if it can be shown."""
        picture = next(iter(self.query(FittedPicture)), None)
        return picture if picture is not None and picture.can_show else None

    def on_click(self, event: events.Click) -> None:
        if event.chain >= 2 and self.picture is not None:
            event.stop()
            self.picture.show_full_screen()

    def on_focus(self, event: events.Focus) -> None:
        self.post_message(self.Selected(self, self.content_id))


__all__ = ["GenerationItem", "item_file_name", "item_picture_path"]
