"""The render form of `media.assemble`: settings, the overlay timeline, the clip, progress.

The form is the same `MediaForm` the generation tabs use, built from the workflow's schema; its
button posts `MediaForm.GenerateRequested`, which the run screen turns into the render.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.widgets.media_form import MediaForm
from cctui.ui.widgets.overlay_timeline import OverlayTimeline

RENDER_ACTION = {"id": "render", "label": "Render video", "loading_label": "Rendering..."}


class AssemblePane(Vertical):
    DEFAULT_CSS = """
    AssemblePane { height: auto; }
    AssemblePane #assemble-top { height: auto; }
    AssemblePane #assemble-form { width: 1fr; height: auto; }
    AssemblePane #assemble-clip { width: 30; height: auto; margin-left: 1; }
    AssemblePane .section { text-style: bold; padding: 0 1; margin-top: 1; height: auto; }
    AssemblePane #render-status { padding: 0 1; height: auto; color: $text-muted; }
    AssemblePane .assemble-note { padding: 0 1; height: auto; color: $warning; }
    AssemblePane #render-progress { margin: 0 1; height: 1; }
    AssemblePane #render-box { height: auto; display: none; }
    AssemblePane.-rendering #render-box { display: block; }
    """

    def __init__(self, display: dict[str, Any], *, id: str | None = None):
        super().__init__(id=id)
        self.data = display

    def compose(self) -> ComposeResult:
        for note in self.data.get("notes") or []:
            yield Static(str(note), classes="assemble-note", markup=False)
        video = self.data.get("video") or {}
        poster = (video.get("metadata") or {}).get("poster_path")
        with Horizontal(id="assemble-top"):
            yield MediaForm("render", self.data.get("schema") or {}, self.data.get("prefill") or {},
                            sub_action=RENDER_ACTION, id="assemble-form")
            if poster:
                yield FittedPicture(poster, "The selected clip", max_height=None, room=4, id="assemble-clip",
                                    stands_for=video.get("local_path") or poster)
        with Vertical(id="render-box"):
            yield Static("", id="render-status", markup=False)
            yield ProgressBar(total=100, show_eta=True, id="render-progress")
        duration = float(self.data.get("duration") or 0)
        yield Static(f"Overlay timeline ({duration:g} s)", classes="section", markup=False)
        yield OverlayTimeline(self.data.get("cues") or [], duration, id="assemble-timeline")

    @property
    def form(self) -> MediaForm:
        return self.query_one(MediaForm)

    def set_rendering(self, rendering: bool, status: str = "") -> None:
        self.set_class(rendering, "-rendering")
        self.form.set_busy(rendering)
        self.query_one("#render-status", Static).update(status)
        if rendering:
            self.query_one(ProgressBar).update(progress=0)

    def set_progress(self, fraction: float) -> None:
        self.query_one(ProgressBar).update(progress=max(0.0, min(1.0, fraction)) * 100)


__all__ = ["AssemblePane", "RENDER_ACTION"]
