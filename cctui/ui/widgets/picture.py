"""An image from a local file, in whatever the terminal can show.

The protocol is decided before the app starts (`cctui.ui.terminal_images`: from the setting
`auto | tgp | sixel | halfcell | unicode`, or what the environment says the terminal is), so
textual-image never asks the terminal; tests force `halfcell`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from cctui.ui import terminal_images

terminal_images.import_quietly()  # before textual_image.widget is imported below: it must ask nothing
from textual_image.widget import AutoImage, HalfcellImage, SixelImage, TGPImage, UnicodeImage  # noqa: E402

PROTOCOLS = {"auto": AutoImage, "tgp": TGPImage, "sixel": SixelImage, "halfcell": HalfcellImage,
             "unicode": UnicodeImage}



class Picture(Container):
    """A picture with a caption; a missing or unreadable file shows why instead of failing."""

    DEFAULT_CSS = """
    Picture { height: auto; width: 1fr; }
    Picture > .picture-image { width: 1fr; height: auto; max-height: 16; }
    Picture > .picture-caption { color: $text-muted; height: 1; }
    Picture > .picture-missing { color: $warning; height: auto; }
    """

    def __init__(self, path: str | Path | None, caption: str = "", *, id: str | None = None,
                 classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.path = Path(path) if path else None
        self.caption = caption

    def compose(self) -> ComposeResult:
        problem = self._problem()
        if problem:
            yield Static(problem, classes="picture-missing", markup=False)
        else:
            cls = PROTOCOLS.get(terminal_images.chosen, AutoImage)
            yield cls(str(self.path), classes="picture-image")
        if self.caption:
            yield Static(self.caption, classes="picture-caption", markup=False)

    def _problem(self) -> str | None:
        if self.path is None:
            return "(no image)"
        if not self.path.is_file():
            return f"(image missing: {self.path})"
        try:
            with PILImage.open(self.path) as img:
                img.verify()
        except (UnidentifiedImageError, OSError) as exc:
            return f"(not a readable image: {self.path.name}: {exc})"
        return None
