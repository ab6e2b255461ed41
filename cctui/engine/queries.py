"""What the app and the CLI ask about runs: summaries with costs, what a run has spent, what its
finish screen shows, and its export bundle. Clients ask here; none reads the store or the ledger.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from cctui.costs.ledger import Ledger, money_text
from cctui.engine.errors import EngineError
from cctui.records import RunListing, RunStatus
from cctui.store.db import Store
from cctui.workflow.errors import WorkflowError, WorkflowErrors

if TYPE_CHECKING:
    from cctui.result_items import ResultItem  # pydantic and the media code: not before the first paint
    from cctui.workflow.models import Workflow
    from cctui.engine.history import HistoryEntry
    from cctui.engine.run import Run


@dataclass(frozen=True)
class RunSummary:
    """One line of the runs list. `where` is the step in words ("5/9 Video", "✓ done");
    `workflow_name` is the workflow's name when it loads, else its id."""

    run_id: str
    workflow_id: str
    workflow_name: str
    status: RunStatus
    step: int  # the current step, 0-based
    where: str
    updated_at: float
    costs: dict[str, float]


@dataclass(frozen=True)
class FinishView:
    """The end of a run: its declared results that the finish screen shows, and what it cost."""

    items: list[ResultItem]
    spent: dict[str, float]


def _summary(row: RunListing, costs: dict[str, float], loaded: tuple[str, list[str]] | None) -> RunSummary:
    name, titles = loaded or (row.workflow_id, None)
    step = row.position.get("step", 0)
    title = titles[step].split(": ", 1)[-1] if titles and step < len(titles) else ""
    where = f"{step + 1}/{len(titles)} {title}".strip() if titles else f"step {step + 1}"
    where = {RunStatus.COMPLETED: "✓ done", RunStatus.ERROR: f"{where} (failed)",
             RunStatus.RUNNING: f"{where} (working)"}.get(row.status, where)
    return RunSummary(run_id=row.run_id, workflow_id=row.workflow_id, workflow_name=name, status=row.status,
                      step=step, where=where, updated_at=row.updated_at, costs=dict(costs))


def _last_step_texts(run: "Run") -> list[ResultItem]:
    """A workflow that declares no results (one written for the seed system): its last step's
    texts, so the finish screen shows what the run made rather than nothing."""
    from cctui.result_items import ResultItem

    step = run.workflow.steps[-1]
    keys = [key for spec in step.modules for key in spec.outputs_to_state.values()]
    return [ResultItem(id=key, kind="text", label=key.replace("_", " ").capitalize(), value=run.state[key],
                       exists=True)
            for key in dict.fromkeys(keys) if isinstance(run.state.get(key), str) and run.state[key].strip()]


class RunQueries:
    def __init__(self, store: Store, load: Callable[[str], Workflow]):
        self.store = store
        self._load = load
        self._titles: dict[str, tuple[str, list[str]]] = {}

    def _name_and_titles(self, workflow_dir: str) -> tuple[str, list[str]] | None:
        if workflow_dir not in self._titles:
            try:
                wf = self._load(workflow_dir)
            except Exception:  # a workflow that no longer loads still lists its runs
                return None
            self._titles[workflow_dir] = (wf.name or wf.workflow_id,
                                          [wf.step_title(i) for i in range(len(wf.steps))])
        return self._titles[workflow_dir]

    async def run_summaries(self, *, step_titles: bool = True, limit: int | None = None,
                            offset: int = 0) -> list[RunSummary]:
        """Runs newest first (`limit` of them from `offset`; all when None), with their ledger
        totals (one query for all of them)."""
        rows = await self.store.run_listings(limit, offset)
        # A page's totals only; every run's in one pass when all are listed.
        page = [row.run_id for row in rows] if limit is not None else None
        totals = await Ledger(self.store).totals(run_ids=page) if rows else {}
        return [_summary(row, totals.get(row.run_id, {}),
                         self._name_and_titles(row.workflow_dir) if step_titles else None)
                for row in rows]

    async def run_count(self) -> int:
        return await self.store.count_runs()

    async def spent(self, run_id: str) -> dict[str, float]:
        """What the run has cost so far, by currency."""
        return (await Ledger(self.store).totals(run_id)).get(run_id, {})

    async def finish_view(self, run: "Run") -> FinishView:
        if run.workflow.results:
            from cctui.result_items import resolve_all

            items = [item for item in resolve_all(run.workflow.results, run.state) if item.show]
        else:
            items = _last_step_texts(run)
        return FinishView(items=items, spent=await self.spent(run.run_id))

    async def history(self, run_id: str) -> list[HistoryEntry]:
        """The run's questions in order (`Run.history`), read without opening the run."""
        row = await self.store.get_run(run_id)
        if row is None:
            raise EngineError(f"no run {run_id!r} (see `cctui runs`)")
        try:
            workflow = self._load(row.workflow_dir)
        except (WorkflowError, WorkflowErrors) as exc:
            raise EngineError(f"run {run_id}: its workflow no longer loads:\n{exc}") from None
        # The replay imports every module: not on the runs screen's path, which lists runs only.
        from cctui.engine.history import Replay

        events = await self.store.events(run_id)
        return Replay(workflow, events, row.position.get("interaction_id")).entries()

    async def export(self, run_id: str, *, default: Path, into: Path | None = None, data_dir: Path | None = None,
                     secrets: list[str] = ()) -> dict[str, Any]:
        """Write the run's bundle to `into`/RUN_ID (a folder the user named: checked first) or to
        `default`. A run whose workflow no longer loads still gets run.json and costs.json, and
        the answer's `note` says why its declared results are not there."""
        from cctui.export import check_target, export_run  # media and more: only for an export

        row = await self.store.get_run(run_id)
        if row is None:
            raise EngineError(f"no run {run_id!r} (see `cctui runs`)")
        target = await check_target(self.store, into / run_id, data_dir) if into is not None else default
        note = ""
        try:
            results = self._load(row.workflow_dir).results
        except (WorkflowError, WorkflowErrors) as exc:
            results = []
            note = (f"the run's workflow ({row.workflow_dir}) does not load, so only run.json and costs.json "
                    f"were written: {str(exc).splitlines()[0]}. Fix it (`cctui validate {row.workflow_dir}`) "
                    "and export again")
        result = await export_run(self.store, run_id, target, results=results, secrets=secrets)
        return {**result, "note": note}


def load_workflow(folder: str) -> Workflow:
    """`engine.load`, imported when first called: it brings every module and provider, which
    `cctui runs` and the app's first paint do not use."""
    from cctui.engine.engine import load

    return load(folder)


@contextlib.asynccontextmanager
async def open_queries(db_path: Path) -> AsyncIterator[RunQueries]:
    """Queries on the database at `db_path` without an engine (the CLI's `runs` and `export`)."""
    store = await Store.open(db_path)
    try:
        yield RunQueries(store, load_workflow)
    finally:
        await store.close()


__all__ = ["RunQueries", "RunSummary", "FinishView", "load_workflow", "open_queries", "money_text"]
