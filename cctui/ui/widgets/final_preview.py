"""The end of a run: what the workflow declares as its results, laid out by kind.

The first image is the picture at the top, texts (the first one is copied with `y`), files and
folders sit beside it with what the run cost, timed lines get a timeline, Markdown folds away
below. Nothing here knows a workflow's state keys: the engine's finish view resolved them.
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Collapsible, Markdown, Static

from cctui.engine.queries import FinishView, money_text
from cctui.result_items import ResultItem
from cctui.safe_text import clean, clean_deep
from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.widgets.overlay_timeline import OverlayTimeline
from cctui.ui.widgets.path_text import PathText

FILE_LINES = ("video", "audio", "file", "image", "folder")
COVER_ROOM = 5  # the headline above, the caption and the keys line below


def _cleaned(item: ResultItem) -> ResultItem:
    """An LLM's or a provider's text may be in any value: made harmless before it is shown."""
    value = item.value
    if item.kind == "subtitles" and value is not None:
        value = [{"index": c.index, "text": clean(c.text), "start": c.start, "end": c.end} for c in value]
    else:
        value = clean_deep(value)
    return replace(item, value=value, label=clean(item.label), note=clean(item.note),
                   empty=clean(item.empty) if item.empty else None)


class FinalPreview(Vertical):
    DEFAULT_CSS = """
    FinalPreview { height: auto; }
    FinalPreview #final-top { height: auto; }
    FinalPreview #final-cover { width: 35%; height: auto; margin-right: 1; }
    FinalPreview #final-side { width: 1fr; height: auto; }
    FinalPreview .section { text-style: bold; padding: 0 1; margin-top: 1; height: auto; }
    FinalPreview .final-text { border: round $primary; padding: 0 1; margin: 0 1; height: auto; }
    FinalPreview .final-file, FinalPreview #final-cost { padding: 0 1; height: auto; }
    FinalPreview .final-path { padding: 0 1 0 3; }
    FinalPreview #final-keys { padding: 0 1; color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, view: FinishView, *, can_render_again: bool = False, id: str | None = None):
        super().__init__(id=id)
        self.items = [_cleaned(item) for item in view.items]
        self.spent = view.spent
        self.can_render_again = can_render_again

    def _of(self, *kinds: str) -> list[ResultItem]:
        return [item for item in self.items if item.kind in kinds]

    @property
    def picture(self) -> ResultItem | None:
        return next((item for item in self._of("image") if item.exists), None)

    @property
    def copyable(self) -> ResultItem | None:
        return next(iter(self._of("text")), None)

    @property
    def captions(self) -> str:
        """The text `y` copies: the first declared text."""
        item = self.copyable
        return item.value or "" if item else ""

    @property
    def video_path(self) -> str | None:
        return next((item.value for item in self._of("video") if item.value), None)

    @property
    def headline(self) -> str:
        made = next((item for item in self._of("video", "image", "audio", "file") if item.exists), None)
        return f"Done: your {made.label.lower()} is ready to post" if made else "Done: the run is complete"

    def compose(self) -> ComposeResult:
        picture = self.picture
        with Horizontal(id="final-top"):
            if picture is not None:
                # As tall as the view less what must be seen with it (COVER_ROOM rows).
                yield FittedPicture(picture.value, picture.label, max_height=None, room=COVER_ROOM, id="final-cover")
            with Vertical(id="final-side"):
                for item in self._of("text"):
                    title = f"{item.label} (y: copy)" if item is self.copyable else item.label
                    yield Static(title, classes="section", markup=False)
                    text = (item.value or "").strip() or item.empty or f"No {item.label.lower()} yet."
                    yield Static(text, id=f"result-{item.id}", classes="final-text", markup=False)
                for item in self._of(*FILE_LINES):
                    if item is picture or not item.value:
                        continue
                    note = f"  ({item.note})" if item.note else ""
                    yield Static(f"{item.label}{note}:", classes="final-file", markup=False)
                    yield PathText(str(item.value), id=f"result-{item.id}", classes="final-path")
                yield Static(f"Spent on this run: {money_text(self.spent)}", id="final-cost", markup=False)
        for item in self._of("subtitles"):
            if item.exists:
                yield Static(f"{item.label} ({item.duration} s)", classes="section", markup=False)
                yield OverlayTimeline(item.value, float(item.duration or 0), id=f"result-{item.id}")
        yield Static(self._keys(), id="final-keys", markup=False)
        for item in self._of("markdown"):
            if item.value:
                yield Collapsible(Markdown(item.value, id="summary" if item is self._of("markdown")[0] else None),
                                  title=item.label, collapsed=True, id=f"result-{item.id}")

    def _keys(self) -> str:
        keys = []
        video = next(iter(self._of("video")), None)
        if video is not None:
            keys.append(f"v: open the {video.label.lower()}")
        if self.copyable is not None:
            keys.append(f"y: copy {self.copyable.label.lower()}")
        if self.picture is not None:
            keys.append(f"z: zoom the {self.picture.label.lower()}")
        if self.can_render_again:
            keys.append("r: render again")
        return "   ".join(keys + ["esc: runs"])


__all__ = ["FinalPreview"]
