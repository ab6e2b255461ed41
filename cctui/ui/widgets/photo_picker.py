"""The body of a media step's own-file tab ("Your photo"): a path typed or pasted (enter), or a
picture picked in a tree of the folder cctui was started in (enter on it; the tree is made when
the tab is first shown). The screen checks and
copies the file through the engine; a refusal is shown here, and the path stays to be corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DirectoryTree, Input, Static

from cctui.engine.ux import own_file_extensions, ux
from cctui.ui.widgets.media_form import dom_id


class PictureTree(DirectoryTree):
    """Folders and the files a tab takes; hidden ones left out."""

    # Plain marks, not emoji: emoji widths differ between terminals (and fonts lack them).
    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    ICON_FILE = "▣ "

    def __init__(self, path: Path, extensions: list[str], *, id: str | None = None, classes: str | None = None):
        super().__init__(path, id=id, classes=classes)
        self.extensions = extensions

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        shown = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or path.suffix.lower() in self.extensions:
                    shown.append(path)
            except OSError:  # a broken link or a folder we may not read: not offered
                continue
        return shown


class PhotoPicker(Vertical):
    """A path line with a Use button, a clear error line, and the tree of pictures."""

    DEFAULT_CSS = """
    PhotoPicker { height: auto; padding: 0 1; }
    PhotoPicker > .photo-intro { color: $text-muted; height: auto; }
    PhotoPicker > .photo-line { height: auto; margin-top: 1; }
    PhotoPicker > .photo-line > Input { width: 1fr; }
    PhotoPicker > .photo-line > Button { margin-left: 1; }
    PhotoPicker > .photo-error {
        display: none;
        color: $text-error;
        background: $error-muted;
        padding: 0 1;
        height: auto;
    }
    PhotoPicker > .photo-error.-shown { display: block; }
    PhotoPicker > PictureTree { height: 8; margin-top: 1; border: round $panel-lighten-2; }
    PhotoPicker > PictureTree:focus { border: round $accent; }
    """

    @dataclass
    class Chosen(Message):
        """The creator gave a file (typed, pasted or picked); the screen checks and copies it."""

        picker: "PhotoPicker"
        tab: str
        path: str

        @property
        def control(self) -> "PhotoPicker":
            return self.picker

    def __init__(self, tab_key: str, tab_schema: dict[str, Any], root: Path, *, id: str | None = None):
        super().__init__(id=id or dom_id("photo-picker", tab_key))
        self.tab_key = tab_key
        self.tab_schema = tab_schema
        self.root = root
        self.extensions = own_file_extensions(tab_schema)
        self.busy = False  # a file given is being checked and copied; the screen clears it

    @property
    def path_input(self) -> Input:
        return self.query_one(".photo-path", Input)

    def compose(self) -> ComposeResult:
        kinds = ", ".join(e.lstrip(".") for e in self.extensions)
        intro = self.tab_schema.get("description") or "A picture of yours instead of a generated one."
        yield Static(f"{intro.rstrip('. ')}. Type or paste its path and press enter, or pick it below "
                     f"({kinds}). A copy goes into the run, turned upright as the camera says.",
                     classes="photo-intro", markup=False)
        with Horizontal(classes="photo-line"):
            yield Input(placeholder="~/Pictures/miso.jpg", classes="photo-path", compact=True,
                        tooltip="The picture's path; a relative one is read from the folder cctui was started in")
            yield Button("Use this file", classes="photo-use", compact=True, variant="primary",
                         tooltip="Check the file and copy it into the run (enter)")
        yield Static("", classes="photo-error", markup=False)

    def shown(self) -> None:
        """The tab came into view: the tree is made now, not before (it reads the folder, and
        its loader is a worker that never ends), and the path line has the focus."""
        if not self.query(PictureTree):
            self.mount(PictureTree(self.root, self.extensions, classes="photo-tree"))
        self.path_input.focus()

    def submit(self) -> None:
        # One file at a time: a second enter while the first is copied would add it twice.
        if not self.busy:
            self.busy = True
            self.post_message(self.Chosen(self, self.tab_key, self.path_input.value))

    def show_error(self, message: str) -> None:
        error = self.query_one(".photo-error", Static)
        error.update(message)
        error.add_class("-shown")
        self.path_input.focus()

    def taken(self) -> None:
        """The file went in: the line is cleared for another one, the error hidden."""
        self.path_input.value = ""
        self.query_one(".photo-error", Static).remove_class("-shown")

    @on(Input.Submitted, ".photo-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, ".photo-use")
    def _use_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.path_input.value = str(event.path)
        self.submit()


__all__ = ["PhotoPicker", "PictureTree"]
