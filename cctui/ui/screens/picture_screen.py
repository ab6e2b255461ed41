"""One picture as big as the terminal allows: a generated image, a video's poster frame, a source
photo or a finished run's cover, drawn with the protocol every other picture of the app uses
(decided before the app starts, `cctui.ui.terminal_images`).

Over SSH a system viewer cannot be opened; this is how a creator judges a picture there.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from cctui.safe_text import clean
from cctui.ui.widgets.fitted_picture import FittedPicture, picture_pixels

# The key that opens the picture on show; every screen with a picture declares it (with its own
# check_action, so the footer lists it only where there is one).
VIEW_PICTURE = Binding("z", "view_picture", "Zoom", id="picture.view",
                       tooltip="See the picture full-screen (esc, z or q to come back)")


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


class PictureScreen(Screen[None]):
    """The picture filling the screen, its file's name, pixels, size and folder above it."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="picture.close", tooltip="Back to where you were"),
        Binding("z", "close", "Back", show=False, id="picture.close_z", tooltip="Back to where you were"),
        Binding("q", "close", "Back", show=False, id="picture.close_q", tooltip="Back to where you were"),
    ]

    DEFAULT_CSS = """
    PictureScreen { layout: vertical; }
    PictureScreen #picture-head { height: 1; padding: 0 1; background: $panel; }
    PictureScreen #picture-name { width: auto; text-style: bold; text-wrap: nowrap; }
    PictureScreen #picture-facts {
        width: 1fr; color: $text-muted; padding-left: 2; text-wrap: nowrap; text-overflow: ellipsis;
    }
    PictureScreen #picture-folder { height: auto; padding: 0 1; color: $text-muted; }
    PictureScreen #picture-full { height: 1fr; width: 1fr; }
    """

    def __init__(self, path: str | Path, *, stands_for: str | Path | None = None, title: str | None = None,
                 name: str | None = None, id: str | None = None):
        super().__init__(name=name, id=id)
        self.path = Path(path)
        self.stands_for = Path(stands_for) if stands_for else self.path
        self.what = clean(title or "")

    @property
    def facts(self) -> str:
        """Pixels and size of the picture, the size of the file it stands for, and what it is."""
        parts = []
        pixels = picture_pixels(self.path)
        poster = self.stands_for != self.path
        if pixels:
            parts.append(f"{'poster frame ' if poster else ''}{pixels[0]}×{pixels[1]} px")
        if self.stands_for.is_file():
            parts.append(size_text(self.stands_for.stat().st_size))
        if self.what:
            parts.append(self.what)
        return " · ".join(parts)

    def compose(self) -> ComposeResult:
        with Horizontal(id="picture-head"):
            yield Static(self.stands_for.name, id="picture-name", markup=False)
            yield Static(self.facts, id="picture-facts", markup=False)
        yield Static(f"in {self.stands_for.parent}", id="picture-folder", markup=False)
        yield FittedPicture(self.path, fill=True, opens=False, max_height=None, id="picture-full")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["PictureScreen", "VIEW_PICTURE", "size_text"]
