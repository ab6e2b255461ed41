"""The end of a run: the cover frame, the captions to paste, the overlay timeline, the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Collapsible, Markdown, Static

from cctui.costs.ledger import money_text
from cctui.export import captions_text
from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.widgets.overlay_timeline import OverlayTimeline


class FinalPreview(Vertical):
    DEFAULT_CSS = """
    FinalPreview { height: auto; }
    FinalPreview #final-top { height: auto; }
    FinalPreview #final-cover { width: 28; height: auto; margin-right: 1; }
    FinalPreview #final-side { width: 1fr; height: auto; }
    FinalPreview .section { text-style: bold; padding: 0 1; margin-top: 1; height: auto; }
    FinalPreview #final-captions { border: round $primary; padding: 0 1; margin: 0 1; height: auto; }
    FinalPreview #final-file, FinalPreview #final-cost, FinalPreview #final-export { padding: 0 1; height: auto; }
    FinalPreview #final-keys { padding: 0 1; color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, state: dict[str, Any], totals: dict[str, float], *, id: str | None = None):
        super().__init__(id=id)
        self.state = state
        self.totals = totals

    @property
    def captions(self) -> str:
        return captions_text(self.state)

    @property
    def video_path(self) -> str | None:
        final = self.state.get("final_video") or {}
        return final.get("path") if isinstance(final, dict) else None

    def compose(self) -> ComposeResult:
        final = self.state.get("final_video") if isinstance(self.state.get("final_video"), dict) else {}
        cover = final.get("cover_path")
        with Horizontal(id="final-top"):
            if cover and Path(cover).is_file():
                yield FittedPicture(cover, "Cover", max_height=14, id="final-cover")
            with Vertical(id="final-side"):
                yield Static("Captions (y: copy)", classes="section", markup=False)
                yield Static(self.captions.strip() or "No title or description was chosen.", id="final-captions",
                             markup=False)
                if final:
                    yield Static(f"Video: {final.get('path')}  ({final.get('width')}x{final.get('height')}, "
                                 f"{final.get('duration')} s)", id="final-file", markup=False)
                export = self.state.get("export_dir")
                if export:
                    yield Static(f"Export folder: {export}", id="final-export", markup=False)
                yield Static(f"Spent on this run: {money_text(self.totals)}", id="final-cost", markup=False)
        if final.get("cues") is not None:
            yield Static(f"Overlay timeline ({final.get('duration')} s)", classes="section", markup=False)
            yield OverlayTimeline(final.get("cues") or [], float(final.get("duration") or 0), id="final-timeline")
        yield Static("v: open the video   y: copy captions   r: render again   esc: runs", id="final-keys",
                     markup=False)
        summary = self.state.get("workflow_summary_text") or ""
        if summary:
            yield Collapsible(Markdown(summary, id="summary"), title="Summary of every choice and prompt",
                              collapsed=True, id="final-summary")


__all__ = ["FinalPreview"]
