"""A `Picture` whose image is scaled to fit the width it gets and a maximum height.

`Picture` gives its image `width: 1fr; height: auto`; textual-image then computes the height
from a width that is still 0 on the first layout (so the image can stay 0 rows high), and a
`max-height` crops the image instead of scaling it. This sets the image's size in cells from
the file's pixel size and the terminal's cell size each time the picture is resized.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual.widget import Widget

from cctui.ui.widgets.picture import Picture

DEFAULT_CELL = (10, 20)  # pixels of one terminal cell, when the terminal does not say


def cell_pixels() -> tuple[int, int]:
    try:
        from textual_image._terminal import get_cell_size

        size = get_cell_size()
        if size.width > 0 and size.height > 0:
            return size.width, size.height
    except Exception:  # no terminal to ask (tests, pipes): assume the common 1:2 cell
        pass
    return DEFAULT_CELL


def fit_cells(image_px: tuple[int, int], cell_px: tuple[int, int], max_width: int,
              max_height: int) -> tuple[int, int]:
    """The largest (columns, rows) of the image's aspect within max_width x max_height cells."""
    iw, ih = image_px
    cw, ch = cell_px
    if iw <= 0 or ih <= 0 or max_width <= 0 or max_height <= 0:
        return 0, 0
    width = max_width
    height = round(width * cw * ih / (iw * ch))
    if height > max_height:
        height = max_height
        width = max(1, min(max_width, round(height * ch * iw / (ih * cw))))
    return width, max(1, height)


class FittedPicture(Picture):
    DEFAULT_CSS = """
    FittedPicture > .picture-caption { width: 1fr; text-align: center; }
    """

    def __init__(self, path: str | Path | None, caption: str = "", *, max_height: int = 16,
                 id: str | None = None, classes: str | None = None):
        super().__init__(path, caption, id=id, classes=classes)
        self.max_height = max_height
        self._pixels: tuple[int, int] | None = None
        self._fitted: tuple[int, int] | None = None
        if self.path is not None:
            try:
                with PILImage.open(self.path) as img:
                    self._pixels = img.size
            except OSError:
                self._pixels = None

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        image: Widget | None = next(iter(self.query(".picture-image")), None)
        if image is None or self._pixels is None or self.content_size.width <= 0:
            return
        width, height = fit_cells(self._pixels, cell_pixels(), self.content_size.width, self.max_height)
        if self._fitted != (width, height):
            self._fitted = (width, height)
            image.styles.width = width
            image.styles.height = height
            image.styles.margin = (0, 0, 0, (self.content_size.width - width) // 2)


__all__ = ["FittedPicture", "fit_cells", "cell_pixels"]
