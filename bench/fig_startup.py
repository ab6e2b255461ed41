"""Start-up: `cctui` to the first paint of the runs screen with its rows, 1,000 runs in the
database, against a bare Textual app started the same way (a fresh process in a pseudo-terminal
each time, alternating; bench/launch_app.py exits at the paint)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.pty_run import run_in_pty
from bench.rows import row
from bench.runs import ROOT, RunnerTo, bench_settings, seed_runs
from bench.standin import StandInProcess
from bench.stats import median
from bench.worker import scratch, serve
from cctui.engine.engine import Engine
from cctui.providers.registry import Providers
from cctui.store.db import Store

FIRST_PAINT_TARGET = 1.3  # the runs screen's first paint, against a bare Textual app's
READY_TARGET = 2.0  # its rows painted


async def sample_state(tmp: Path) -> dict[str, Any]:
    """The state of a real run at its render form: what a run row holds (about 40 KB)."""
    with StandInProcess(tmp / "standin", job_seconds=0.0, fast_media=True) as srv:
        settings = bench_settings(tmp / "sample", srv.base_urls)
        providers = Providers(settings)
        engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
        try:
            run = await RunnerTo(engine, stop_at="assemble_video").run_to()
            return dict(run.state)
        finally:
            await engine.close()
            await providers.aclose()


async def seed(data_dir: Path, runs: int, state: dict[str, Any]) -> None:
    store = await Store.open(bench_settings(data_dir).db_path)
    try:
        await seed_runs(store, runs, state)
    finally:
        await store.close()


def launch(bare: bool, env: dict[str, str], out: Path) -> dict[str, float]:
    out.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "bench.launch_app"] + (["--bare"] if bare else []) + [str(out)]
    spawned = time.time()
    code, output = run_in_pty(argv, env, ROOT)
    if code != 0 or not out.exists():
        raise RuntimeError(f"launch_app{' --bare' if bare else ''} failed ({code}): {output[-1500:]!r}")
    times = json.loads(out.read_text())
    return {"ready": times["ready"] - spawned, "launcher": times["launcher"] - spawned,
            "imported": times["imported"] - spawned, "first_paint": times["first_paint"] - spawned}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    n, runs = int(config.get("n", 10)), int(config.get("runs", 1000))
    tmp = scratch("startup")
    state = asyncio.run(sample_state(tmp))
    data = tmp / "data"
    asyncio.run(seed(data, runs, state))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp / "home"), "LANG": "C.UTF-8",
           "TERM": "xterm-256color", "COLORTERM": "truecolor", "CCTUI_DATA_DIR": str(data),
           "CCTUI_CONFIG": str(tmp / "no-config.toml")}
    (tmp / "home").mkdir()
    launch(False, env, tmp / "warm.json")  # first start writes .pyc files and the log folder
    cctui, bare = [], []
    for _ in range(n):
        cctui.append(launch(False, env, tmp / "cctui.json"))
        bare.append(launch(True, env, tmp / "bare.json"))
    ms = 1000.0
    phases = {name: {phase: round(median(t[phase] for t in times) * ms, 1)
                     for phase in ("launcher", "imported", "first_paint", "ready")}
              for name, times in (("cctui", cctui), ("bare", bare))}
    first = median(t["first_paint"] for t in cctui) * ms
    ready = median(t["ready"] for t in cctui) * ms
    bare_paint = median(t["ready"] for t in bare) * ms
    rows = [row("startup_ms", f"start-up: first paint of the runs screen, {runs:,} runs in the db", first, "ms",
                n=n, baseline=bare_paint, baseline_label="bare Textual app, same launcher", target=FIRST_PAINT_TARGET, target_on="ratio",
                target_text=f"<= {FIRST_PAINT_TARGET}x bare"),
            row("startup_ready_ms", f"start-up: runs listed, {runs:,} runs in the db", ready, "ms", n=n,
                baseline=bare_paint, baseline_label="bare Textual app's first paint", target=READY_TARGET,
                target_on="ratio", target_text=f"<= {READY_TARGET:g}x bare")]
    return {"figure": "startup", "rows": rows, "details": {
        "phases_ms_since_spawn": phases, "state_bytes_per_run": len(json.dumps(state)), "runs_in_db": runs,
        "db_bytes": (data / "cctui.db").stat().st_size, "terminal": "120x40 pty, answers DA1, no Kitty graphics"}}


if __name__ == "__main__":
    serve(measure)
