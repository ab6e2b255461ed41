"""The `io.client_write` pane: the file's name and format, a preview of its content, and where
it will be written (the run's folder unless the creator types another folder or path).

Enter asks its screen to write the file there (`WriteRequested`); a write that fails comes back
as `show_error`, and the path stays for the creator to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static


class ClientWritePane(Vertical):
    DEFAULT_CSS = """
    ClientWritePane { height: auto; padding: 0 1; }
    ClientWritePane #write-facts { color: $text-muted; height: auto; }
    ClientWritePane #write-preview {
        height: auto;
        max-height: 9;  /* the whole pane fits at 24 rows; the preview scrolls (tab to it) */
        border: round $foreground 25%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    ClientWritePane #write-preview:focus { border: round $primary; }
    ClientWritePane #write-where { height: auto; margin-top: 1; }
    ClientWritePane #write-path { margin: 0; }
    ClientWritePane #write-error { color: $error; height: auto; }
    """

    @dataclass
    class WriteRequested(Message):
        """Write the file at `path` (a folder it goes into, or the file's own path)."""

        pane: "ClientWritePane"
        path: str

        @property
        def control(self) -> "ClientWritePane":
            return self.pane

    def __init__(self, display: dict[str, Any], *, id: str | None = None):
        super().__init__(id=id)
        self.display_data = display

    def compose(self) -> ComposeResult:
        d = self.display_data
        lines, chars = int(d.get("lines") or 0), int(d.get("chars") or 0)
        facts = (f"{d.get('filename', '')}  ·  {d.get('format', 'text')}  ·  {lines:,} line{'s' if lines != 1 else ''}, "
                 f"{chars:,} character{'s' if chars != 1 else ''}")
        yield Static(facts, id="write-facts", markup=False)
        preview = VerticalScroll(Static(d.get("preview") or "(empty)", markup=False), id="write-preview")
        preview.border_title = "Preview"
        yield preview
        yield Static("Where: a folder, or the file's own path (it starts as the run's folder)", id="write-where",
                     markup=False)
        yield Input(d.get("file_path") or "", id="write-path", select_on_focus=False)
        yield Static("", id="write-error", markup=False)

    def focus_path(self) -> None:
        path = self.query_one("#write-path", Input)
        path.focus()
        path.cursor_position = len(path.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#write-error", Static).update("")
        self.post_message(self.WriteRequested(self, event.value))

    def show_error(self, message: str) -> None:
        self.query_one("#write-error", Static).update(message)
        self.focus_path()
