"""The engine: opens runs, owns the services, and tells listeners what happened.

The TUI, the tests and batch mode all drive runs through this API; nothing here knows Textual.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

from cctui.costs.prices import Prices
from cctui.engine.errors import EngineError, RunBusyError
from cctui.engine.events import EventSink, JobChanged, RunStarted, safe_sink
from cctui.engine.modules import shapes
from cctui.engine.queries import RunQueries
from cctui.engine.run import Run
from cctui.engine.services import Services
from cctui.jobs.manager import JobManager
from cctui.records import JobRecord, RunRecord
from cctui.store.db import Store
from cctui.store.lease import LeaseHeld, RunLeases
from cctui.workflow.errors import WorkflowError, WorkflowErrors
from cctui.workflow.loader import load_workflow
from cctui.workflow.models import Workflow

log = logging.getLogger(__name__)

_LOADED: dict[Path, tuple[tuple, Workflow]] = {}


def _signature(folder: Path) -> tuple:
    """Every file under the workflow folder with its size and mtime: any edit changes it."""
    entries = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append((path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(entries))


def load(folder: Path | str) -> Workflow:
    """Load and check a workflow folder; unchanged folders come from memory (a load is ~0.1 s,
    and every new or resumed run needs one)."""
    key = Path(folder).resolve()
    try:
        signature = _signature(key) if key.is_dir() else ()
    except OSError:  # unreadable somewhere: not cached, and load_workflow says what cannot be read
        signature = ()
    cached = _LOADED.get(key)
    if cached is not None and signature and cached[0] == signature:
        return cached[1]
    workflow = load_workflow(folder, modules=shapes())
    if signature:
        _LOADED[key] = (signature, workflow)
    return workflow


class Engine:
    def __init__(self, store: Store, providers, runs_dir: Path, *, jobs: JobManager | None = None,
                 prices: Prices | None = None, leases: RunLeases | None = None):
        jobs = jobs or JobManager(store, providers)
        # A run is driven by one process only: the holder of its lease (see cctui.store.lease).
        self.leases = leases or RunLeases(store)
        # The providers' own price list when they have one (the registry reads it once); else the
        # user's prices.json beside the runs folder, in the data directory.
        prices = prices or getattr(providers, "prices", None) or Prices.load(Path(runs_dir).parent)
        self.services = Services(store=store, providers=providers, jobs=jobs, runs_dir=Path(runs_dir),
                                 prices=prices)
        self.queries = RunQueries(store, load)
        self._listeners: list[EventSink] = []
        self._sink = safe_sink(self._listeners)
        self._runs: dict[str, Run] = {}
        self._owned_providers = None  # built by `from_settings` or `DeferredEngine`: closed with the engine
        jobs.subscribe(self._on_job)

    @classmethod
    async def open(cls, db_path: Path, providers, runs_dir: Path, **kwargs: Any) -> "Engine":
        store = await Store.open(db_path)
        try:
            return cls(store, providers, runs_dir, **kwargs)
        except BaseException:
            await store.close()  # its thread would keep the process alive after the error
            raise

    @classmethod
    async def from_settings(cls, settings, providers=None) -> "Engine":
        """An engine on the settings' database and runs folder, with the provider clients the
        settings configure (unless `providers` is given: then they stay the caller's to close)."""
        owned = None
        if providers is None:
            from cctui.providers.registry import Providers

            providers = owned = Providers(settings)
        try:
            engine = await cls.open(settings.db_path, providers, settings.runs_dir())
        except BaseException:
            if owned is not None:
                await owned.aclose()
            raise
        engine._owned_providers = owned
        return engine

    async def close(self) -> None:
        await self.services.jobs.close()
        await self.leases.close()  # after the jobs stopped: nothing of ours is in flight any more
        await self.services.store.close()
        owned, self._owned_providers = self._owned_providers, None
        if owned is not None:
            await owned.aclose()

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: EventSink) -> None:
        """Hear every run's typed events (`cctui.engine.events`), each after its change committed."""
        self._listeners.append(listener)

    def _on_job(self, job: JobRecord) -> None:
        # The job manager calls this after the job's row is written (and committed).
        self._sink(JobChanged(job.run_id, job.job_id, job.status, job.progress, job.interaction_id))

    # ------------------------------------------------------------------ runs

    async def new_run(self, workflow_dir: Path | str) -> Run:
        workflow = load(workflow_dir)
        store = self.services.store
        async with store.transaction():
            run_id = await store.create_run(workflow.workflow_id, str(workflow.root),
                                            copy.deepcopy(workflow.initial_state), {"step": 0, "module": 0})
            await store.add_event(run_id, "run_started", 0,
                                  {"workflow_id": workflow.workflow_id, "workflow_dir": str(workflow.root),
                                   "version": workflow.version})
            await self.leases.acquire(run_id)
        run = Run(self.services, await store.get_run(run_id), workflow, self._sink)
        self._runs[run_id] = run
        self._sink(RunStarted(run_id))
        return run

    async def open_run(self, run_id: str) -> Run:
        """A run as it was stored: a pending interaction comes back with its stored inputs, and
        its unfinished jobs are followed again. Only by one process: a run that another live
        process drives raises `RunBusyError` (its jobs are that process's to follow)."""
        if run_id in self._runs:
            return self._runs[run_id]
        store = self.services.store
        if await store.get_run(run_id) is None:
            raise EngineError(f"no run {run_id!r} in {store.path}")
        try:
            await self.leases.acquire(run_id)
        except LeaseHeld as exc:
            raise RunBusyError(run_id, exc.info.pid, exc.info.host, exc.info.since()) from None
        try:
            row = await store.get_run(run_id)  # read under the lease: as the last driver left it
            workflow = load(row.workflow_dir)
        except (WorkflowError, WorkflowErrors) as exc:
            await self.leases.release(run_id)
            raise EngineError(f"run {run_id}: its workflow no longer loads:\n{exc}") from None
        except BaseException:
            await self.leases.release(run_id)
            raise
        run = Run(self.services, row, workflow, self._sink)
        self._runs[run_id] = run
        await self.services.jobs.resume(run_id)
        return run

    async def list_runs(self) -> list[RunRecord]:
        return await self.services.store.list_runs()
