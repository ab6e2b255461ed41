"""Resume: open a run whose log holds 10,000 events, from `open_run` (what enter on the runs screen
calls) to the paint that shows its pending question, in the real app (in-process, pilot, 120x40,
a fresh app each time). Baseline: a second run driven the same way, its log as the workflow left
it (about 70 events); the first run's log is grown to 10,000 events through the Store. The two are
opened alternately."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.paint import PaintProbe
from bench.rows import row
from bench.runs import WORKFLOW, RunnerTo, bench_settings, seed_events
from bench.standin import StandInProcess
from bench.stats import median
from bench.worker import scratch, serve
from cctui.engine.engine import Engine
from cctui.providers.registry import Providers
from cctui.settings import Settings
from cctui.store.db import Store
from cctui.ui.app import make_app
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen

STOP_AT = "select_text_overlay"  # step 6 of 9: a list to choose from, most of the state written


async def drive(settings: Settings) -> str:
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    try:
        return (await RunnerTo(engine, stop_at=STOP_AT).run_to()).run_id
    finally:
        await engine.close()
        await providers.aclose()


async def grow_log(settings: Settings, run_id: str, events: int) -> tuple[int, int]:
    """(events before, events after) bringing the run's log to `events` (0: leave it as it is)."""
    store = await Store.open(settings.db_path)
    try:
        before = len(await store.events(run_id))
        return before, await seed_events(store, run_id, events)
    finally:
        await store.close()


async def open_once(settings: Settings, run_id: str) -> float:
    app = make_app(settings, workflow_dir=WORKFLOW)
    async with app.run_test(size=(120, 40)) as pilot:
        probe = PaintProbe(app)

        def runs_shown() -> bool:
            return isinstance(app.screen, RunsScreen) and app.screen.query_one("DataTable").row_count > 0

        await probe.wait_for(runs_shown)
        await pilot.pause(0.1)

        def question_shown() -> bool:
            screen = app.screen
            if not isinstance(screen, RunScreen) or screen.run.run_id != run_id:
                return False
            views = screen.query("#select-view")
            return bool(views) and views.first().region.height > 0 and screen.focused is not None

        started = time.perf_counter()
        shown = probe.wait_for(question_shown)
        app.open_run(run_id)
        return (await shown).wall - started


async def _measure(config: dict[str, Any]) -> dict[str, Any]:
    n, events = int(config.get("n", 7)), int(config.get("events", 10_000))
    tmp = scratch("resume")
    with StandInProcess(tmp / "standin", job_seconds=0.0, fast_media=True) as srv:
        settings = bench_settings(tmp / "data", srv.base_urls)
        plain, heavy = await drive(settings), await drive(settings)
        _, heavy_events = await grow_log(settings, heavy, events)
        plain_events, _ = await grow_log(settings, plain, 0)
        await open_once(settings, plain)  # warm-up
        plain_s, heavy_s = [], []
        for _ in range(n):  # alternating, so that a change in the machine's load hits both alike
            heavy_s.append(await open_once(settings, heavy))
            plain_s.append(await open_once(settings, plain))
    ms = 1000.0
    rows = [row("resume_ms", f"resume: run with {heavy_events:,} events to its question painted",
                median(heavy_s) * ms, "ms", n=n, baseline=median(plain_s) * ms,
                baseline_label=f"a run like it, {plain_events} events")]
    return {"figure": "resume", "rows": rows, "details": {
        "each_ms": [round(x * ms, 1) for x in heavy_s], "baseline_each_ms": [round(x * ms, 1) for x in plain_s],
        "question": STOP_AT}}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(config))


if __name__ == "__main__":
    serve(measure)
