"""The run's history: every question it asked, oldest first, with the answer given, when, and on
which branch; those the run left by going back are dimmed and marked ✗. Enter on one hands its
interaction back to the run screen, which confirms and branches from it."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from cctui.engine.history import HistoryEntry
from cctui.safe_text import clean
from cctui.ui.screens.dialogs import DIALOG_CSS
from cctui.ui.screens.runs_screen import age

# Column widths at 80 columns: marker, step, question, answer, when, branch.
WIDTHS = (1, 4, 20, 25, 11, 2)
LEGEND = "✗ left by going back   ▶ asked now   enter: branch from it   esc: close"


def _cut(text: str, width: int) -> str:
    text = clean(" ".join(text.split()))
    return text if len(text) <= width else text[:width - 1] + "…"


def _row(entry: HistoryEntry, now: float) -> list[Text]:
    marker = "✗" if entry.abandoned else "▶" if entry.waiting else " "
    cells = [marker, str(entry.step_index + 1), entry.question, entry.answer, age(max(0.0, now - entry.asked_at)),
             str(entry.branch)]
    style = "dim" if entry.abandoned else "bold" if entry.waiting else ""
    return [Text(_cut(cell, width), style=style) for cell, width in zip(cells, WIDTHS)]


class HistoryScreen(ModalScreen[int | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="HistoryScreen") + """
    HistoryScreen > Vertical { width: 100%; max-width: 120; height: 100%; max-height: 40; padding: 0 1; }
    HistoryScreen .dialog-title { margin-bottom: 0; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen #history-detail { height: auto; max-height: 4; color: $text-muted; }
    HistoryScreen #history-legend { height: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape,h", "close", "Close", id="history.close", tooltip="Back to the run")]

    def __init__(self, title: str, entries: list[HistoryEntry], now: Callable[[], float]):
        super().__init__()
        self.title_text = clean(title)
        self.entries = entries
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            table: DataTable = DataTable(id="history-table", cursor_type="row", zebra_stripes=False)
            for label, width in zip(("", "Step", "Question", "Answer", "When", "Br"), WIDTHS):
                table.add_column(label, width=width)
            now = self.now()
            for entry in self.entries:
                table.add_row(*_row(entry, now), key=str(entry.interaction_id))
            yield table
            yield Static(id="history-detail", markup=False)
            yield Static(LEGEND, id="history-legend", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.focus()
        if self.entries:
            table.move_cursor(row=len(self.entries) - 1)

    def _entry(self, key) -> HistoryEntry | None:
        return next((e for e in self.entries if str(e.interaction_id) == key.value), None)

    @on(DataTable.RowHighlighted)
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        entry = self._entry(event.row_key)
        if entry is not None:
            self.query_one("#history-detail", Static).update(
                clean(f"{entry.step_title}: {entry.question}\n→ {entry.answer}"))

    @on(DataTable.RowSelected)
    def _pick(self, event: DataTable.RowSelected) -> None:
        entry = self._entry(event.row_key)
        if entry is None:
            return
        if entry.waiting:
            self.notify("The run is asking this question now.", severity="information")
        elif entry.abandoned:
            self.notify("The run left this question when it went back; branch from one on its current "
                        "path (not marked ✗).", severity="warning")
        else:
            self.dismiss(entry.interaction_id)

    def action_close(self) -> None:
        self.dismiss(None)
