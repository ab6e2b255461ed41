"""One generation of a media step: what was asked, how far it is, and what came back.

The card takes the generation dict of `cctui.engine.generations.module_generations` and is
refreshed in place with `update(generation)`.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from cctui.engine.price_estimate import dollars
from cctui.jobs.statuses import IN_PROGRESS, can_fetch_again, can_resubmit, retry_text
from cctui.records import JobStatus
from cctui.ui.widgets.file_opener import can_open_files, open_file
from cctui.ui.worker_errors import WorkerErrorsToApp
from cctui.ui.widgets.generation_item import GenerationItem, item_file_name

STATUS_TEXT = {
    JobStatus.SUBMITTING: "Sending to the provider…",
    JobStatus.SUBMITTED: "Sent: queued at the provider",
    JobStatus.RUNNING: "Generating",
    JobStatus.DOWNLOADING: "Downloading",
    JobStatus.COMPLETED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.UNKNOWN: "Unknown: needs your decision",
    JobStatus.NOT_DOWNLOADED: "Done at the provider, not downloaded",
    JobStatus.STALLED: "Accepted, but the provider cannot be asked now",
    JobStatus.CANCELLED: "Cancelled",
}
WAITING = (JobStatus.FAILED, JobStatus.UNKNOWN, JobStatus.CANCELLED, JobStatus.NOT_DOWNLOADED, JobStatus.STALLED)
FETCHABLE = (JobStatus.NOT_DOWNLOADED, JobStatus.STALLED)
ACTION_TEXT = {"txt2img": "image", "img2img": "image", "img2vid": "video", "txt2vid": "video",
               "txt2music": "music", "txt2speech": "voice", "own_file": "copied in"}
UNKNOWN_NOTE = ("The provider's answer was lost, so this job may or may not have been made (and charged). "
                "Look for it first (free); a resubmit is a new paid request and, if the first was made, "
                "is paid twice. You decide.")
# The same for a provider that keeps no list of jobs to look in (an answer-at-once API).
UNKNOWN_NOTE_NO_LIST = ("The provider's answer was lost, so this job may or may not have been made (and "
                        "charged), and this provider keeps no list of jobs to look in. A resubmit is a new "
                        "paid request and, if the first was made, is paid twice. You decide.")
FETCH_NOTE = "It is paid for and the provider holds it: fetching it again costs nothing."
HIDDEN_PARAMS = ("prompt", "negative_prompt", "text")  # a narration's text is its card's prompt line
PROMPT_LENGTH = 70


def shorten(text: str, length: int = PROMPT_LENGTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def cost_text(cost: dict[str, Any] | None) -> str | None:
    if not cost or cost.get("amount") is None:
        return None
    amount, unit = cost["amount"], cost.get("unit")
    if unit == "usd":
        return dollars(amount)
    if unit == "credits":
        return f"{amount:g} credits"
    return f"{amount:g} {unit or ''}".strip()


# Columns a generation's picture needs to be worth looking at; a card shows its files side by side.
PICTURE_COLUMNS = 24
CARD_FRAME = 4  # a card's border and padding
ITEM_FRAME = 2  # an item's border


def card_columns(width: int, items_per_card: list[int]) -> int:
    """How many cards share a row of `width` columns: as many as fit with every picture at least
    PICTURE_COLUMNS wide, and never more than there are cards (one card alone takes the row, so
    its pictures grow instead of leaving the rest of the row empty)."""
    if not items_per_card:
        return 1
    widest = CARD_FRAME + max(1, max(items_per_card)) * (PICTURE_COLUMNS + ITEM_FRAME)
    return max(1, min(len(items_per_card), width // widest))


def is_unfinished(generation: dict[str, Any]) -> bool:
    return generation.get("status") in IN_PROGRESS


class GenerationCard(WorkerErrorsToApp, Vertical):
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
    GenerationCard.-fetchable { border: round $warning; }
    GenerationCard:focus-within { border: round $accent; }
    GenerationCard > .card-prompt { height: auto; max-height: 3; }
    GenerationCard > .card-params { color: $text-muted; height: auto; }
    GenerationCard > .card-status { height: auto; text-style: bold; }
    GenerationCard > ProgressBar { height: 1; width: 1fr; }
    GenerationCard > ProgressBar Bar { width: 1fr; }
    GenerationCard > .card-items { height: auto; }
    GenerationCard > .card-cost { color: $text-muted; height: 1; }
    /* Two to a row: three buttons side by side do not fit a card at 80 columns. */
    GenerationCard > .card-decision { layout: grid; grid-size: 2; grid-gutter: 0 1; grid-rows: 1; height: auto; }
    GenerationCard > .card-decision Button { width: 1fr; }
    GenerationCard > .card-error { color: $text-error; height: auto; }
    GenerationCard > .card-note { color: $text-warning; height: auto; }
    """

    BINDINGS = [
        Binding("v", "open_item", "View file", id="media.open",
                tooltip="Open the focused file with the system's viewer (shows its path over SSH)"),
    ]

    def __init__(self, generation: dict[str, Any], *, tab_label: str | None = None,
                 selected_id: str | None = None, id: str | None = None, can_look: bool = True,
                 value_labels: dict[str, dict[str, str]] | None = None):
        super().__init__(id=id)
        self.generation = generation
        self.value_labels = value_labels or {}
        # Whether the provider keeps a list of jobs to look a lost submit up in (OpenAI's images
        # and ElevenLabs' music answer at once and keep none).
        self.can_look = can_look
        self.tab_label = tab_label or generation.get("tab") or generation.get("provider") or "?"
        self.selected_id = selected_id
        self._reveal = False
        self._classes_for_status()

    @property
    def job_id(self) -> str:
        return str(self.generation.get("job_id"))

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.generation.get("status"))

    # ------------------------------------------------------------------ text

    def _title(self) -> str:
        action = ACTION_TEXT.get(self.generation.get("action", ""), self.generation.get("action") or "")
        return f"{self.tab_label} · {action}" if action else self.tab_label

    def _params_text(self) -> str:
        params = self.generation.get("params") or {}
        parts = [f"{k.replace('_', ' ')} {self.value_labels.get(k, {}).get(str(v), v)}" for k, v in params.items()
                 if k not in HIDDEN_PARAMS and isinstance(v, (str, int, float, bool)) and v != ""]
        return " · ".join(parts)

    def _status_text(self) -> str:
        g = self.generation
        now = self._now()
        waiting = retry_text(self.status, g.get("retry_reason"), g.get("retry_at"), now)
        text = STATUS_TEXT[self.status]
        if waiting:
            return f"{text}; {waiting}"
        if self._without_percentage() and g.get("created_at"):
            # Leonardo gives no figure until it is done: the time so far says the job is alive.
            seconds = max(0, int(now - float(g["created_at"])))
            text += f" · {seconds // 60}:{seconds % 60:02d} so far"
        return text

    def _now(self) -> float:
        """The app's clock (a test fixes it), else the system's."""
        try:
            return float(getattr(self.app, "now", time.time)())
        except NoActiveAppError:  # built outside a running app
            return time.time()

    def _without_percentage(self, generation: dict[str, Any] | None = None) -> bool:
        g = generation or self.generation
        return JobStatus(g.get("status")) in (JobStatus.SUBMITTED, JobStatus.RUNNING) and not g.get("progress")

    def _ways_on(self) -> list[tuple[str, str, str, str]]:
        """(decision, label, variant, tooltip) for each button this card offers."""
        accepted, kind = bool(self.generation.get("accepted")), self.generation.get("error_kind")
        ways = []
        if can_fetch_again(self.status, accepted, kind):
            if accepted:
                ways.append(("fetch", "Fetch again", "primary", "Ask the provider for it again (no new charge)"))
            elif self.can_look:
                ways.append(("fetch", "Look for it", "primary",
                             "Look for it in the provider's list of jobs (no new charge)"))
        if can_resubmit(self.status, accepted, kind) and self.status is JobStatus.UNKNOWN:
            ways.append(("resubmit", "Resubmit…", "warning", "Send a new paid request (asks first, with its price)"))
        if ways:
            ways.append(("dismiss", "Dismiss", "default", "Give up on this job; nothing is sent"))
        return ways

    def _cost_line(self) -> str | None:
        cost = cost_text(self.generation.get("cost"))
        return f"Cost: {cost}" if cost else None

    def _shape(self, generation: dict[str, Any]) -> tuple:
        """What decides the card's widgets; anything else is updated in place."""
        status = JobStatus(generation.get("status"))
        return (status in IN_PROGRESS, status, tuple(i.get("content_id") for i in generation.get("items") or []),
                generation.get("error"), bool(generation.get("cost")), bool(generation.get("accepted")),
                self._without_percentage(generation))

    def _classes_for_status(self) -> None:
        status = self.status
        self.set_class(status is JobStatus.COMPLETED, "-completed")
        self.set_class(status in (JobStatus.FAILED, JobStatus.CANCELLED), "-failed")
        self.set_class(status is JobStatus.UNKNOWN, "-unknown")
        self.set_class(status in FETCHABLE, "-fetchable")
        self.set_class(status in IN_PROGRESS, "-running")
        self.border_title = self._title()

    # ------------------------------------------------------------------ widgets

    def compose(self) -> ComposeResult:
        given = self.generation.get("params") or {}
        prompt = given.get("prompt") or given.get("text")
        if isinstance(prompt, str) and prompt:
            yield Static(shorten(prompt), classes="card-prompt", markup=False)
        params = self._params_text()
        if params:
            yield Static(params, classes="card-params", markup=False)
        yield Static(self._status_text(), classes="card-status", markup=False)
        if self.status in IN_PROGRESS:
            if self._without_percentage():
                # No figure from the provider: a bar that moves, not one stuck at 0 %.
                yield ProgressBar(total=None, show_eta=False, show_percentage=False, classes="card-progress")
            else:
                bar = ProgressBar(total=100, show_eta=False, show_percentage=True, classes="card-progress")
                bar.progress = float(self.generation.get("progress") or 0)
                yield bar
        items = self.generation.get("items") or []
        if self.status is JobStatus.COMPLETED and items:
            with Horizontal(classes="card-items"):
                for item in items:
                    yield GenerationItem(item, selected=item.get("content_id") == self.selected_id)
        if self.status in WAITING:
            error = self.generation.get("error") or ("cancelled" if self.status is JobStatus.CANCELLED else "no reason given")
            yield Static(str(error), classes="card-error", markup=False)
            if self.status is JobStatus.UNKNOWN:
                yield Static(UNKNOWN_NOTE if self.can_look else UNKNOWN_NOTE_NO_LIST,
                             classes="card-error card-unknown-note", markup=False)
            elif self.status in FETCHABLE:
                yield Static(FETCH_NOTE, classes="card-note", markup=False)
            ways = self._ways_on()
            if ways:
                with Horizontal(classes="card-decision"):
                    for decision, label, variant, tip in ways:
                        yield Button(label, classes=f"card-{decision}", compact=True, variant=variant, tooltip=tip)
        cost = self._cost_line()
        if cost:
            yield Static(cost, classes="card-cost", markup=False)

    class Decision(Message):
        """Fetch again, resubmit or dismiss a job that waits (the screen confirms a resubmit first)."""

        def __init__(self, job_id: str, decision: str) -> None:
            super().__init__()
            self.job_id = job_id
            self.decision = decision

    def on_button_pressed(self, event: Button.Pressed) -> None:
        for decision in ("fetch", "resubmit", "dismiss"):
            if event.button.has_class(f"card-{decision}"):
                event.stop()
                self.post_message(self.Decision(self.job_id, decision))
                return

    def on_mount(self) -> None:
        # "next try in N s" counts down between the job's own updates.
        self.set_interval(1.0, self._tick)

    def reveal_when_placed(self) -> None:
        """Scroll into view once the layout has given the card a size (a card just mounted, or
        rebuilt by its first status change, has none yet: scrolling to it then does nothing)."""
        self._reveal = True
        if self.size.height:
            self._do_reveal()

    def on_resize(self) -> None:
        if self._reveal and self.size.height:
            self._do_reveal()

    def _do_reveal(self) -> None:
        self._reveal = False
        self.call_after_refresh(self.scroll_visible, animate=False)

    def _tick(self) -> None:
        if (self.generation.get("retry_reason") or self._without_percentage()) and self.is_mounted:
            # Not there while the card is rebuilt for a new status (a tick can fall in between).
            for status in self.query(".card-status").results(Static):
                status.update(self._status_text())

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
                if bar.total is not None:
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



__all__ = ["GenerationCard", "card_columns", "cost_text", "is_unfinished", "shorten", "IN_PROGRESS", "UNKNOWN_NOTE"]
