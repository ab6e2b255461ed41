"""Engine overhead: the whole CC workflow in batch mode at a zero-latency stand-in, against the
same provider calls made directly (bench.replay), per run and per step.

The render (`media.assemble`: ffmpeg, local work with no provider call) is timed and reported
but left out of the comparison; in quick mode the run stops at the render form instead.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.replay import Replayer
from bench.rows import row
from bench.runs import WORKFLOW, RunnerTo, bench_settings
from bench.standin import StandInProcess
from bench.stats import median
from bench.worker import scratch, serve
from cctui.engine.engine import Engine, load
from cctui.providers.registry import MEDIA_ROUTES, Providers
from cctui.records import EventRecord
from cctui.settings import Settings

TARGET = 1.2


def _ids(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for v in value.values():
            _ids(v, out)
    elif isinstance(value, list):
        for v in value:
            _ids(v, out)
    elif isinstance(value, str) and len(value) >= 8 and " " not in value:
        out.add(value)
    return out


def first_poll_waits(capture: list[dict[str, Any]]) -> list[float]:
    """For each job a POST created, the time from its answer to the first GET of the job."""
    waits = []
    for i, entry in enumerate(capture):
        if entry["method"] != "POST" or not isinstance(entry.get("json"), dict):
            continue
        ids = {s for s in _ids(entry["json"], set()) if not s.startswith(("http", "chatcmpl", "req_"))}
        later = next((e for e in capture[i + 1:] if e["method"] == "GET" and any(x in e["path"] for x in ids)), None)
        if later is not None and "/_files/" not in later["path"]:
            waits.append(later["started"] - entry["served"])
    return waits


def step_spans(events: list[EventRecord], end: float) -> list[tuple[str, float, float]]:
    starts = [(e.step_id, e.created_at) for e in events if e.type == "step_started"]
    return [(step, t, starts[i + 1][1] if i + 1 < len(starts) else end) for i, (step, t) in enumerate(starts)]


def render_span(events: list[EventRecord]) -> tuple[float, float] | None:
    asked = next((e for e in events if e.type == "interaction_requested" and e.module == "assemble_video"), None)
    done = next((e for e in events if e.type == "interaction_answered" and e.module == "assemble_video"), None)
    return (asked.created_at, done.created_at) if asked and done else None


async def engine_run(srv: StandInProcess, data: Path, stop_at: str | None) -> dict[str, Any]:
    settings = bench_settings(data, srv.base_urls)
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    srv.clear_capture()
    wall0, started = time.time(), time.perf_counter()
    run = await RunnerTo(engine, stop_at=stop_at).run_to(WORKFLOW)
    seconds = time.perf_counter() - started
    wall1 = wall0 + seconds
    capture = srv.capture()
    events = await engine.services.store.events(run.run_id)
    await engine.close()
    await providers.aclose()
    expected = "completed" if stop_at is None else "waiting"
    if run.status != expected:
        raise RuntimeError(f"the run ended {run.status}, not {expected}: {run.error}")
    render = render_span(events)
    render_s = render[1] - render[0] if render else 0.0
    spans = step_spans(events, wall1)
    per_step = {}
    for step, t0, t1 in spans:
        per_step[step] = t1 - t0 - (render_s if render and t0 <= render[0] < t1 else 0.0)
    return {"seconds": seconds - render_s, "render": render_s, "capture": capture, "spans": spans,
            "per_step": per_step, "render_at": render, "waits": first_poll_waits(capture)}


async def direct_run(srv: StandInProcess, run: dict[str, Any], files: Path) -> dict[str, Any]:
    srv.clear_capture()
    started = time.perf_counter()
    async with Replayer(srv.base_url, files) as replayer:
        setup = time.perf_counter() - started  # a direct script makes its two clients too
        seconds = setup + await replayer.replay(run["capture"])
    serving = sum(e["finished"] - e["started"] for e in srv.capture())
    wrong = [(a, b) for a, b in replayer.statuses if a != b]
    if wrong:
        raise RuntimeError(f"the replay was answered differently: {wrong[:5]}")
    per_step = {step: 0.0 for step, _, _ in run["spans"]}
    for entry, took in zip(run["capture"], replayer.timings):
        step = next((s for s, t0, t1 in run["spans"] if t0 <= entry["started"] < t1), None)
        if step is None and run["spans"]:
            step = run["spans"][-1][0] if entry["started"] >= run["spans"][-1][1] else run["spans"][0][0]
        per_step[step] = per_step.get(step, 0.0) + took
    return {"seconds": seconds, "per_step": per_step, "calls": len(replayer.timings), "serving": serving}


async def make_clients(settings: Settings) -> float:
    """Seconds to make every provider client a run uses (each makes its own HTTP client)."""
    started = time.perf_counter()
    providers = Providers(settings)
    providers.llm()
    for provider, action in MEDIA_ROUTES:
        providers.media(provider, action)
    took = time.perf_counter() - started
    await providers.aclose()
    return took


async def _measure(config: dict[str, Any]) -> dict[str, Any]:
    n, warmup = int(config.get("n", 5)), int(config.get("warmup", 1))
    stop_at = None if config.get("render", True) else "assemble_video"
    tmp = scratch("engine")
    engine_runs, direct_runs = [], []
    with StandInProcess(tmp / "standin", job_seconds=0.0, fast_media=True) as srv:
        for rep in range(warmup + n):
            run = await engine_run(srv, tmp / f"engine{rep}", stop_at)
            direct = await direct_run(srv, run, tmp / f"direct{rep}")
            if rep >= warmup:
                engine_runs.append(run)
                direct_runs.append(direct)
        loads, clients = [], []
        for _ in range(5):
            started = time.perf_counter()
            load(WORKFLOW)
            loads.append(time.perf_counter() - started)
            clients.append(await make_clients(bench_settings(tmp / "clients", srv.base_urls)))
    ms = 1000.0
    engine_s = median(r["seconds"] for r in engine_runs)
    direct_s = median(r["seconds"] for r in direct_runs)
    waits_s = median(sum(r["waits"]) for r in engine_runs)
    load_s = median(loads)
    clients_s = median(clients)
    steps = list(engine_runs[0]["per_step"])
    per_step = {step: {"engine_ms": round(median(r["per_step"].get(step, 0.0) for r in engine_runs) * ms, 1),
                       "direct_ms": round(median(r["per_step"].get(step, 0.0) for r in direct_runs) * ms, 1)}
                for step in steps}
    rows = [
        row("engine_ms", "engine: CC workflow in batch mode", engine_s * ms, "ms", n=n,
            baseline=direct_s * ms, baseline_label=f"the same {direct_runs[0]['calls']} calls made directly",
            target=TARGET, target_on="ratio", target_text=f"<= {TARGET}x direct",
            note="zero-latency stand-in, " + ("render excluded" if stop_at is None else "up to the render form")),
        row("engine_first_poll_wait_ms", "  of which: waits before each job's first poll", waits_s * ms, "ms",
            n=n, note=f"{len(engine_runs[0]['waits'])} jobs"),
        row("engine_workflow_load_ms", "  of which: loading the workflow (new_run)", load_s * ms, "ms", n=5),
        row("engine_clients_ms", "  of which: making the provider clients", clients_s * ms, "ms", n=5,
            note="first use of each provider"),
        row("engine_rest_ms", "engine minus those three", (engine_s - waits_s - load_s - clients_s) * ms, "ms",
            n=n, baseline=direct_s * ms, baseline_label="direct"),
    ]
    if stop_at is None:
        rows.append(row("engine_render_ms", "engine: the render (ffmpeg, not compared)",
                        median(r["render"] for r in engine_runs) * ms, "ms", n=n))
    return {"figure": "engine", "rows": rows, "details": {
        "per_step_ms": per_step,
        "engine_ms_each": [round(r["seconds"] * ms, 1) for r in engine_runs],
        "direct_ms_each": [round(r["seconds"] * ms, 1) for r in direct_runs],
        "first_poll_waits_ms": [round(w * ms, 1) for w in engine_runs[0]["waits"]],
        "standin_serving_ms": {
            "engine": round(median(sum(e["finished"] - e["started"] for e in r["capture"])
                                   for r in engine_runs) * ms, 1),
            "direct": round(median(r["serving"] for r in direct_runs) * ms, 1)},
        "warmup_runs": warmup}}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(config))


if __name__ == "__main__":
    serve(measure)
