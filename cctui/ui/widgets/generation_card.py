"""One generation of a media step: what was asked, how far it is, and what came back.

The card takes the generation dict of `cctui.engine.generations.module_generations` and is
refreshed in place with `update(generation)`.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, WorkerState

from cctui.ui.widgets.file_opener import can_open_files, open_file
from cctui.ui.widgets.generation_item import GenerationItem, item_file_name

IN_PROGRESS = ("submitting", "submitted", "running", "downloading")
STATUS_TEXT = {
    "submitting": "Sending to the provider…",
    "submitted": "Queued at the provider",
    "running": "Generating",
    "downloading": "Downloading",
    "completed": "Done",
    "failed": "Failed",
    "unknown": "Unknown: needs your decision",
    "cancelled": "Cancelled",
}
ACTION_TEXT = {"txt2img": "image", "img2img": "image", "img2vid": "video", "txt2vid": "video",
               "txt2music": "music"}
UNKNOWN_NOTE = ("The provider's answer was lost, so this job may or may not have been made (and charged). "
                "Check the provider's site before generating again: a resubmit may be charged twice. "
                "You decide.")
HIDDEN_PARAMS = ("prompt", "negative_prompt")
PROMPT_LENGTH = 70


def shorten(text: str, length: int = PROMPT_LENGTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def cost_text(cost: dict[str, Any] | None) -> str | None:
    if not cost or cost.get("amount") is None:
        return None
    amount, unit = cost["amount"], cost.get("unit")
    if unit == "usd":
        return f"${amount:.2f}"
    if unit == "credits":
        return f"{amount:g} credits"
    return f"{amount:g} {unit or ''}".strip()


def is_unfinished(generation: dict[str, Any]) -> bool:
    return generation.get("status") in IN_PROGRESS


class GenerationCard(Vertical):
    """Provider and parameters, status with a progress bar, then the files, or the error."""

    DEFAULT_CSS = """
    GenerationCard {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
    }
    GenerationCard.-completed { border: round $success-darken-1; }
    GenerationCard.-failed, GenerationCard.-unknown { border: round $error; }
    GenerationCard:focus-within { border: round $accent; }
    GenerationCard > .card-prompt { height: auto; max-height: 3; }
    GenerationCard > .card-params { color: $text-muted; height: auto; }
    GenerationCard > .card-status { height: 1; text-style: bold; }
    GenerationCard > ProgressBar { height: 1; width: 1fr; }
    GenerationCard > ProgressBar Bar { width: 1fr; }
    GenerationCard > .card-items { height: auto; }
    GenerationCard > .card-cost { color: $text-muted; height: 1; }
    GenerationCard > .card-decision { height: auto; }
    GenerationCard > .card-decision Button { margin-right: 2; }
    GenerationCard > .card-error { color: $text-error; height: auto; }
    """

    BINDINGS = [
        Binding("o", "open_item", "Open file", id="media.open",
                tooltip="Open the focused file with the system's viewer (shows its path over SSH)"),
    ]

    def __init__(self, generation: dict[str, Any], *, tab_label: str | None = None,
                 selected_id: str | None = None, id: str | None = None):
        super().__init__(id=id)
        self.generation = generation
        self.tab_label = tab_label or generation.get("tab") or generation.get("provider") or "?"
        self.selected_id = selected_id
        self._classes_for_status()

    @property
    def job_id(self) -> str:
        return str(self.generation.get("job_id"))

    @property
    def status(self) -> str:
        return str(self.generation.get("status"))

    # ------------------------------------------------------------------ text

    def _title(self) -> str:
        action = ACTION_TEXT.get(self.generation.get("action", ""), self.generation.get("action") or "")
        return f"{self.tab_label} · {action}" if action else self.tab_label

    def _params_text(self) -> str:
        params = self.generation.get("params") or {}
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in params.items()
                 if k not in HIDDEN_PARAMS and isinstance(v, (str, int, float, bool)) and v != ""]
        return " · ".join(parts)

    def _status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    def _cost_line(self) -> str | None:
        cost = cost_text(self.generation.get("cost"))
        return f"Cost: {cost}" if cost else None

    def _shape(self, generation: dict[str, Any]) -> tuple:
        """What decides the card's widgets; anything else is updated in place."""
        status = generation.get("status")
        return (status in IN_PROGRESS, status, tuple(i.get("content_id") for i in generation.get("items") or []),
                generation.get("error"), bool(generation.get("cost")))

    def _classes_for_status(self) -> None:
        status = self.status
        self.set_class(status == "completed", "-completed")
        self.set_class(status in ("failed", "cancelled"), "-failed")
        self.set_class(status == "unknown", "-unknown")
        self.set_class(status in IN_PROGRESS, "-running")
        self.border_title = self._title()

    # ------------------------------------------------------------------ widgets

    def compose(self) -> ComposeResult:
        prompt = (self.generation.get("params") or {}).get("prompt")
        if prompt:
            yield Static(shorten(prompt), classes="card-prompt", markup=False)
        params = self._params_text()
        if params:
            yield Static(params, classes="card-params", markup=False)
        yield Static(self._status_text(), classes="card-status", markup=False)
        if self.status in IN_PROGRESS:
            bar = ProgressBar(total=100, show_eta=False, show_percentage=True, classes="card-progress")
            bar.progress = float(self.generation.get("progress") or 0)
            yield bar
        items = self.generation.get("items") or []
        if self.status == "completed" and items:
            with Horizontal(classes="card-items"):
                for item in items:
                    yield GenerationItem(item, selected=item.get("content_id") == self.selected_id)
        if self.status in ("failed", "unknown", "cancelled"):
            error = self.generation.get("error") or ("cancelled" if self.status == "cancelled" else "no reason given")
            yield Static(str(error), classes="card-error", markup=False)
            if self.status == "unknown":
                yield Static(UNKNOWN_NOTE, classes="card-error card-unknown-note", markup=False)
                with Horizontal(classes="card-decision"):
                    yield Button("Resubmit", classes="card-resubmit", compact=True, variant="warning",
                                 tooltip="Send it again; if the first one was made, you pay twice")
                    yield Button("Dismiss", classes="card-dismiss", compact=True,
                                 tooltip="Give up on this job; nothing is sent")
        cost = self._cost_line()
        if cost:
            yield Static(cost, classes="card-cost", markup=False)

    class Decision(Message):
        """Resubmit or dismiss an unknown job (the screen confirms a resubmit first)."""

        def __init__(self, job_id: str, decision: str) -> None:
            super().__init__()
            self.job_id = job_id
            self.decision = decision

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("card-resubmit") or event.button.has_class("card-dismiss"):
            event.stop()
            decision = "resubmit" if event.button.has_class("card-resubmit") else "dismiss"
            self.post_message(self.Decision(self.job_id, decision))

    def update(self, generation: dict[str, Any]) -> None:
        """Show a newer state of the same generation, rebuilding only when its shape changed."""
        old, self.generation = self.generation, generation
        self._classes_for_status()
        if self._shape(old) != self._shape(generation):
            self.refresh(recompose=True)
            return
        if self.is_mounted:
            self.query_one(".card-status", Static).update(self._status_text())
            for bar in self.query(ProgressBar):
                bar.progress = float(generation.get("progress") or 0)

    # ------------------------------------------------------------------ items

    @property
    def items(self) -> list[GenerationItem]:
        return list(self.query(GenerationItem))

    def set_selected(self, content_id: str | None) -> None:
        self.selected_id = content_id
        for item in self.query(GenerationItem):
            item.set_selected(item.content_id == content_id)

    def item_for(self, content_id: str) -> GenerationItem | None:
        return next((i for i in self.query(GenerationItem) if i.content_id == content_id), None)

    def _focused_item(self) -> GenerationItem | None:
        focused = self.screen.focused if self.is_attached else None
        if isinstance(focused, GenerationItem) and focused in self.query(GenerationItem):
            return focused
        items = self.items
        chosen = [i for i in items if i.content_id == self.selected_id]
        return (chosen or items or [None])[0]

    def action_open_item(self) -> None:
        item = self._focused_item()
        if item is None or not item.path:
            self.notify("Nothing to open yet: this generation has no file.", severity="warning")
            return
        self.open_path(item.path)

    def open_path(self, path: str) -> None:
        """Open with the system's viewer, or (no display, SSH) show where the file is."""
        if not can_open_files():
            self.notify(path, title=f"{item_file_name({'local_path': path})} is here", markup=False,
                        timeout=15)
            return
        self._open_in_thread(path)

    @work(thread=True, exclusive=True, group="open-file", exit_on_error=False)
    def _open_in_thread(self, path: str) -> None:
        open_file(path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "open-file":
            self.notify(str(event.worker.error), title="Could not open the file", severity="error", markup=False)


__all__ = ["GenerationCard", "cost_text", "is_unfinished", "shorten", "IN_PROGRESS", "UNKNOWN_NOTE"]
