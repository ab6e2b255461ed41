"""A `Picture` whose image is scaled to fit the room it gets, keeping the file's aspect ratio.

`Picture` gives its image `width: 1fr; height: auto`; textual-image then computes the height
from a width that is still 0 on the first layout (so the image can stay 0 rows high), and a
`max-height` crops the image instead of scaling it. This sets the image's size in cells from
the file's pixel size and the terminal's cell size each time the room changes.

The room is the picture's width and a height that is one of:
- `max_height` rows (a fixed cap, for a thumbnail);
- `room=N`: the height of the scrolling view the picture sits in, less N rows for what has to be
  seen with it (a card's title, the file's name), so a bigger terminal shows a bigger picture and
  the whole picture still fits on the screen at once;
- `fill=True`: the picture's own height (give it `height: 1fr`), for a view of one picture.

A click on the picture shows it full-screen (`cctui.ui.screens.picture_screen`).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from cctui.ui.widgets.picture import Picture

DEFAULT_CELL = (10, 20)  # pixels of one terminal cell, when the terminal does not say
MIN_ROOM = 6  # rows a picture keeps however little room the view leaves it


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


def picture_pixels(path: str | Path | None) -> tuple[int, int] | None:
    """(width, height) of the image file in pixels, or None when it cannot be read."""
    if path is None:
        return None
    try:
        with PILImage.open(path) as img:
            return img.size
    except OSError:
        return None


def middle_cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, an ellipsis in its middle when it is longer."""
    if len(text) <= width or width < 5:
        return text
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail:]


def view_height(widget: Widget) -> int:
    """Rows of the scrolling view `widget` is shown in: the outermost scrolling container below
    the screen (an inner one that grows with its content, such as a list of cards, is no
    measure), else the screen's own height."""
    view: Widget | None = None
    for node in widget.ancestors:
        if isinstance(node, Screen):
            break
        if isinstance(node, Widget) and node.styles.overflow_y in ("auto", "scroll"):
            view = node
    if view is not None:
        return view.scrollable_content_region.height
    return widget.screen.size.height if widget.is_attached else 0


class FittedPicture(Picture):
    DEFAULT_CSS = """
    FittedPicture > .picture-caption { width: 1fr; text-align: center; }
    """

    def __init__(self, path: str | Path | None, caption: str = "", *, max_height: int | None = 16,
                 room: int | None = None, fill: bool = False, stands_for: str | Path | None = None,
                 title: str | None = None, opens: bool = True, id: str | None = None,
                 classes: str | None = None):
        super().__init__(path, caption, id=id, classes=classes)
        self.max_height = max_height
        self.room = room
        self.fill = fill
        # What the full-screen view names: the file the picture shows (a video for its poster
        # frame), and what it is.
        self.stands_for = Path(stands_for) if stands_for else self.path
        self.title = title or caption
        self.opens = opens
        self._pixels = picture_pixels(self.path)
        self._caption_shown = caption
        self._placed: tuple[int, int, int, int] | None = None  # image's size, the room it was centred in

    @property
    def can_show(self) -> bool:
        """Whether there is a readable picture to show (and so to show full-screen)."""
        return self._pixels is not None

    def on_mount(self) -> None:
        if self.room is not None:
            # The view's height can change while this picture's width does not (a taller
            # terminal): no resize of its own would say so.
            self.screen.screen_layout_refresh_signal.subscribe(self, lambda _screen: self.fit())

    def on_resize(self) -> None:
        self.fit()

    def height_limit(self) -> int:
        """Rows the image may take now."""
        if self.fill:
            caption = 1 if self.caption else 0
            return max(1, self.content_size.height - caption)
        limit = None
        if self.room is not None:
            limit = max(MIN_ROOM, view_height(self) - self.room)
        if self.max_height is not None:
            limit = self.max_height if limit is None else min(limit, self.max_height)
        return limit if limit is not None else MIN_ROOM

    def fit(self) -> None:
        if not self.is_attached:
            return
        self._fit_caption()
        image: Widget | None = next(iter(self.query(".picture-image")), None)
        if image is None or self._pixels is None or self.content_size.width <= 0:
            return
        limit, room = self.height_limit(), self.content_size.width
        width, height = fit_cells(self._pixels, cell_pixels(), room, limit)
        if self._placed != (width, height, room, limit):
            self._placed = (width, height, room, limit)
            image.styles.width = width
            image.styles.height = height
            image.styles.max_height = height  # not Picture's fixed cap: this is the cap
            top = (limit - height) // 2 if self.fill else 0
            image.styles.margin = (top, 0, 0, (room - width) // 2)

    def _fit_caption(self) -> None:
        # A file name wider than the picture keeps its start and its end (where generations of
        # one job differ: `..._1.png`, `..._2.png`), not a wrapped line that falls out of sight.
        text = middle_cut(self.caption, self.content_size.width) if self.content_size.width > 0 else self.caption
        if text != self._caption_shown:
            self._caption_shown = text
            for caption in self.query(".picture-caption").results(Static):
                caption.update(text)

    @property
    def fitted(self) -> tuple[int, int] | None:
        """(columns, rows) the image was last given."""
        return self._placed[:2] if self._placed else None

    def on_click(self, event: events.Click) -> None:
        if self.opens and self.can_show:
            event.stop()
            self.show_full_screen()

    def show_full_screen(self) -> None:
        from cctui.ui.screens.picture_screen import PictureScreen

        if self.path is not None and self.can_show:
            self.app.push_screen(PictureScreen(self.path, stands_for=self.stands_for, title=self.title))


__all__ = ["FittedPicture", "fit_cells", "cell_pixels", "middle_cut", "picture_pixels", "view_height"]
