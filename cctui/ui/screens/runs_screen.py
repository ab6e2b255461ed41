"""The first screen: every run with its workflow, current step, age and cost; new or resume."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cctui.engine.catalogue import KnownWorkflow
from cctui.engine.queries import RunSummary, money_text
from cctui.safe_text import LINE_LIMIT, clean
from cctui.ui.worker_errors import WorkerErrorsToApp

if TYPE_CHECKING:
    from cctui.ui.app import CCApp


NARROW_WHERE = 30  # characters
PAGE = 100  # runs read at a time: more than a tall terminal shows; the next page as the cursor nears the end
NEAR_END = 10  # rows


def age(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def cost_text(costs: dict[str, float]) -> str:
    return money_text(costs, zero="-")


class RunsTable(DataTable):
    """The runs, one a row; `enter` on a row resumes it (named so in the footer: the table's own
    hidden `enter` would hide the screen's)."""

    BINDINGS = [Binding("enter", "select_cursor", "Resume", id="runs.resume_row",
                        tooltip="Open the highlighted run where it stopped"),
                # A list of rows: home and end go to the first and the last run (reading the next
                # page when there is one), not to the first and last column.
                Binding("home", "scroll_top", "First run", show=False),
                Binding("end", "scroll_bottom", "Last run", show=False)]


class RunsScreen(WorkerErrorsToApp, Screen):
    _titled = False  # the rows have been shown with their step titles once
    _more = False  # the last read filled its page: older runs may follow
    loaded = False  # the rows carry their workflows' names and step titles, the intro what `n` starts
    BINDINGS = [
        Binding("n", "new_run", "New run", id="runs.new", tooltip="Start a new run (asks which workflow when there are several)"),
        Binding("enter", "resume", "Resume", id="runs.resume", tooltip="Open the highlighted run where it stopped"),
        Binding("r", "reload", "Refresh", id="runs.reload", tooltip="Read the runs again"),
        Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Quit; every run is saved"),
    ]

    DEFAULT_CSS = """
    RunsScreen #runs-intro { padding: 0 1; color: $text-muted; height: auto; }
    RunsScreen #runs-empty { padding: 1 2; height: auto; display: none; }
    RunsScreen DataTable { display: none; }
    RunsScreen DataTable { height: 1fr; }
    """

    @property
    def cc(self) -> "CCApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("", id="runs-intro", markup=False)
            yield RunsTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            yield Static("No runs yet. Press n to start one.", id="runs-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Four narrow columns fit 80 terminal columns: the workflow's name leads the Where column.
        table.add_columns("Run", "Where", "Age", "Cost")

    def on_screen_resume(self) -> None:
        # Also when the screen is first shown: the runs are read then, and again on coming back.
        self.action_reload()

    def intro(self, known: list[KnownWorkflow], has_runs: bool = True) -> str:
        """What `n` starts: the opened workflow, the only one known, or which ones it asks between;
        and `enter` when there is a run to resume."""
        resume = "   enter: resume" if has_runs else ""
        opened = self.cc.workflow_dir
        if opened is not None:
            names = [w.name for w in known if w.folder == opened] or [opened.name]
            return f"Workflow: {names[0]}   n: new run{resume}"
        if not known:
            return f"No workflow found (open one with cctui --workflow DIR){resume}"
        if len(known) == 1:
            return f"Workflow: {known[0].name}   n: new run{resume}"
        names = ", ".join(w.name if w.loads else f"{w.name} (does not load)" for w in known)
        return f"Workflows: {names}   n: new run (asks which){resume}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return self.query_one(DataTable).row_count > 0
        return True

    @work(exclusive=True, group="runs", exit_on_error=False)
    async def action_reload(self) -> None:
        shown = max(PAGE, self.query_one(DataTable).row_count)  # a reload keeps the pages already read
        if not self._titled:
            # The first paint shows the runs as the store has them: their workflows' names and
            # step titles need the workflows loaded (every module imported), which follows it.
            self._show(await self.cc.run_rows(step_titles=False, limit=shown), shown)
            painted = asyncio.Event()
            self.call_after_refresh(painted.set)
            await painted.wait()
            self._titled = True
        rows = await self.cc.run_rows(limit=shown)
        known = await self.cc.known_workflows()
        self.query_one("#runs-intro", Static).update(Text(clean(self.intro(known, bool(rows)), LINE_LIMIT)))
        self._show(rows, shown, keep_cursor=True)
        self.loaded = True

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if self._more and event.cursor_row >= event.data_table.row_count - NEAR_END:
            self._more = False  # one page at a time
            self.read_more()

    @work(group="runs-more", exit_on_error=False)
    async def read_more(self) -> None:
        table = self.query_one(DataTable)
        rows = await self.cc.run_rows(step_titles=self._titled, limit=PAGE, offset=table.row_count)
        known = {str(key.value) for key in table.rows}
        self._add_rows(table, [row for row in rows if row.run_id not in known])  # one updated meanwhile moved up
        self._more = len(rows) == PAGE

    def _add_rows(self, table: DataTable, rows: list[RunSummary]) -> None:
        now = self.cc.now()
        # Under 100 columns the Where cell is cut so that the cost column still shows at 80.
        where_limit = NARROW_WHERE if self.app.size.width < 100 else LINE_LIMIT
        for row in rows:
            # A stored run's ids and a workflow's titles come from files anyone could have edited.
            cells = (clean(row.run_id, LINE_LIMIT), clean(f"{row.workflow_name}: {row.where}", where_limit),
                     age(now - row.updated_at), cost_text(row.costs))
            table.add_row(*cells, key=row.run_id)

    def _show(self, rows: list[RunSummary], asked: int, keep_cursor: bool = False) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row if keep_cursor else 0  # moved while the titles were loading
        table.clear()
        self._add_rows(table, rows)
        self._more = len(rows) == asked
        self.query_one("#runs-empty").display = not rows
        table.display = bool(rows)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
            table.focus()
        self.refresh_bindings()

    def action_new_run(self) -> None:
        self.cc.start_new_run()

    def action_resume(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.cc.open_run(str(key))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.cc.open_run(str(event.row_key.value))


__all__ = ["RunsScreen", "age", "cost_text", "time"]
