"""Jobs at scale and responsiveness, measured together in the real app (in-process, pilot, 120x40).

The app opens a run waiting at a list; key presses (down/up through the list) are timed from the
press to the paint that shows the new focus, first with nothing running (the baseline), then while
N Leonardo image-to-video jobs, started at once through the app's own JobManager, poll the
stand-in (its own process). Each job's length at the stand-in is spread evenly over the range
(e.g. 2-20 s) in shuffled order.

Per job: requests to its status endpoint, and the lag from the moment it finished at the stand-in
(created + duration, on the same clock) to its row being marked completed in the database. The
process's CPU time over the jobs' life (resource.getrusage) and its peak RSS.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from pathlib import Path
from typing import Any

from bench.paint import PaintProbe
from bench.rows import row
from bench.runs import WORKFLOW, RunnerTo, bench_settings
from bench.standin import StandInProcess, seconds_marker
from bench.stats import median, percentile
from bench.worker import scratch, serve
from cctui.engine.engine import Engine
from cctui.jobs.manager import FIRST_POLL, JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import Settings
from cctui.ui.app import make_app
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen

STOP_AT = "select_text_overlay"
STATUS_PATH = "/leonardo/api/rest/v1/generations/"
LAG_SLACK = 0.25
KEY_TARGET_MS = 50.0


async def prepare(settings: Settings) -> tuple[str, dict[str, Any]]:
    """A run waiting at a list, and the Leonardo image it made (the jobs' source image)."""
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    try:
        run = await RunnerTo(engine, stop_at=STOP_AT).run_to()
        content = await engine.services.store.content_of_run(run.run_id)
        image = next(c for c in content if c.kind == "image" and c.provider == "leonardo")
        source = {k: getattr(image, k) for k in ("content_id", "local_path", "provider", "metadata", "kind")}
        return run.run_id, source
    finally:
        await engine.close()
        await providers.aclose()


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def press_keys(pilot: Any, probe: PaintProbe, *, count: int | None = None, until: Any = None,
                     gap: float = 0.08) -> tuple[list[float], list[float]]:
    """Press down (then up at the end of the list, and so on), timing each press to the paint
    that shows the moved focus: (wall seconds, CPU seconds of the event loop's thread) for each.
    Stops after `count` presses, or when `until()` holds."""
    app = pilot.app
    view = app.screen.query_one("#select-view")
    stops = len(view._stops)
    if stops < 2:
        raise RuntimeError("the list has fewer than two cards to move between")
    latencies, cpu, position, step = [], [], view._stops.index(app.screen.focused), 1
    while (count is None or len(latencies) < count) and not (until and until()):
        if not 0 <= position + step < stops:
            step = -step
        before = app.screen.focused
        started, started_cpu = time.perf_counter(), time.thread_time()
        painted = probe.wait_for(lambda: app.screen.focused is not before, timeout=30)
        await pilot.press("down" if step > 0 else "up")
        paint = await painted
        latencies.append(paint.wall - started)
        cpu.append(paint.cpu - started_cpu)
        position += step
        await asyncio.sleep(gap)
    return latencies, cpu


async def start_jobs(manager: JobManager, run_id: str, source: dict[str, Any], media_dir: Path,
                     durations: list[float]) -> list[str]:
    ids = []
    for i, seconds in enumerate(durations):
        request = MediaRequest(action="img2vid", provider="leonardo", source_image=source, media_dir=str(media_dir),
                               params={"prompt": f"The cat blinks slowly, clip {i} {seconds_marker(seconds)}"})
        ids.append(await manager.start(request, run_id=run_id, interaction_id=None, step_id="video_generation",
                                       module="generate_and_select_videos", prompt_key="leonardo"))
    return ids


def per_job(rows: list, standin_jobs: list[dict[str, Any]],
            capture: list[dict[str, Any]]) -> list[dict[str, float]]:
    at_standin = {j["id"]: j for j in standin_jobs}
    polls: dict[str, list[float]] = {}
    for entry in capture:
        if entry["method"] == "GET" and entry["path"].startswith(STATUS_PATH):
            polls.setdefault(entry["path"][len(STATUS_PATH):], []).append(entry["started"])
    out = []
    for job in rows:
        if job.status != "completed":
            raise RuntimeError(f"job {job.job_id} ended {job.status}: {job.error}")
        remote = at_standin[job.provider_job_id]
        finished = remote["created"] + remote["duration"]
        times = sorted(polls.get(job.provider_job_id, []))
        before = [t for t in times if t < finished]
        after = [t for t in times if t >= finished]
        first_after = after[0] if after else job.finished_at
        out.append({"duration": remote["duration"], "lag": job.finished_at - finished,
                    "wait": first_after - finished, "processing": job.finished_at - first_after,
                    "interval": first_after - (before[-1] if before else job.submitted_at),
                    "requests": len(times)})
    return out


async def _measure(config: dict[str, Any]) -> dict[str, Any]:
    count = int(config.get("jobs", 200))
    low, high = float(config.get("min_seconds", 2.0)), float(config.get("max_seconds", 20.0))
    baseline_presses = int(config.get("baseline_presses", 60))
    durations = [low + (high - low) * i / max(1, count - 1) for i in range(count)]
    random.Random(6).shuffle(durations)
    tmp = scratch("jobs")
    with StandInProcess(tmp / "standin", job_seconds=0.0, fast_media=True) as srv:
        settings = bench_settings(tmp / "data", srv.base_urls)
        run_id, source = await prepare(settings)
        app = make_app(settings, workflow_dir=WORKFLOW)
        async with app.run_test(size=(120, 40)) as pilot:
            probe = PaintProbe(app)
            await probe.wait_for(lambda: isinstance(app.screen, RunsScreen)
                                 and app.screen.query_one("DataTable").row_count > 0)
            app.open_run(run_id)
            await probe.wait_for(lambda: isinstance(app.screen, RunScreen) and bool(app.screen.query("#select-view"))
                                 and app.screen.focused is not None)
            await pilot.pause(0.2)
            await press_keys(pilot, probe, count=3)  # warm-up: first focus moves
            idle, idle_cpu = await press_keys(pilot, probe, count=baseline_presses)
            manager = app.engine.services.jobs
            srv.clear_capture()
            rss_before, cpu_before, wall_before = rss_kb(), cpu_seconds(), time.perf_counter()
            job_ids = await start_jobs(manager, run_id, source, settings.runs_dir() / run_id / "media", durations)
            busy, busy_cpu = await press_keys(pilot, probe, until=lambda: not manager.running())
            await manager.wait(job_ids, timeout=120)
            cpu, wall = cpu_seconds() - cpu_before, time.perf_counter() - wall_before
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            store = app.engine.services.store
            rows = [await store.get_job(j) for j in job_ids]
        jobs = per_job(rows, srv.jobs(), srv.capture())
        defaults = JobManager(None, None)  # type: ignore[arg-type]
        min_poll, max_poll = defaults.min_poll, defaults.max_poll
    ms = 1000.0
    lags = [j["lag"] for j in jobs]
    span = f"{count} jobs of {low:g}-{high:g} s"
    rows_out = [
        row("jobs_requests_per_job", f"jobs: status requests per job ({span})",
            sum(j["requests"] for j in jobs) / count, "requests", n=count),
        row("jobs_lag_p50_ms", "jobs: lag, done at stand-in to row completed, p50", percentile(lags, 50) * ms, "ms",
            n=count),
        row("jobs_lag_p95_ms", "jobs: lag, p95", percentile(lags, 95) * ms, "ms", n=count),
        # The poll interval grows per job (backoff), so the target is read per job: how much
        # later than one poll interval (the one in force when the job finished) it was marked done.
        row("jobs_lag_over_interval_p95_ms", "jobs: lag minus the poll interval in force, p95",
            percentile([j["lag"] - j["interval"] for j in jobs], 95) * ms, "ms", n=count,
            target=LAG_SLACK * ms, target_text=f"lag <= poll interval + {LAG_SLACK:g} s"),
        row("jobs_done_to_row_p95_ms", "jobs: poll that saw it done to row completed, p95",
            percentile([j["processing"] for j in jobs], 95) * ms, "ms", n=count, target=LAG_SLACK * ms,
            target_text=f"<= {LAG_SLACK:g} s", note="download and database writes"),
        row("jobs_cpu_s", f"jobs: CPU time of the cctui process ({wall:.0f} s wall)", cpu, "s", n=1),
        row("jobs_peak_rss_mb", "jobs: peak RSS of the cctui process", peak_rss / 1024, "MB", n=1,
            baseline=rss_before / 1024, baseline_label="RSS before the jobs"),
        row("keys_p95_ms", f"keys: press to repaint, p95, {count} jobs polling", percentile(busy, 95) * ms,
            "ms", n=len(busy), baseline=percentile(idle, 95) * ms, baseline_label="same, no jobs",
            target=KEY_TARGET_MS, target_text=f"<= {KEY_TARGET_MS:g} ms"),
        row("keys_cpu_p95_ms", "  the app's own CPU time in those, p95", percentile(busy_cpu, 95) * ms, "ms",
            n=len(busy), baseline=percentile(idle_cpu, 95) * ms, baseline_label="same, no jobs",
            note="event loop thread; the rest is waiting"),
    ]
    by_length = sorted(jobs, key=lambda j: j["duration"])
    return {"figure": "jobs", "rows": rows_out, "details": {
        "poll_schedule": f"first poll after {FIRST_POLL:g} s, then from {min_poll:g} s each wait x1.5 up to "
                         f"{max_poll:g} s",
        "min_poll_s": min_poll, "max_poll_s": max_poll,
        "keys_p50_ms": {"busy": round(median(busy) * ms, 1), "idle": round(median(idle) * ms, 1)},
        "keys_max_ms": {"busy": round(max(busy) * ms, 1), "idle": round(max(idle) * ms, 1)},
        "keys_cpu_p50_ms": {"busy": round(median(busy_cpu) * ms, 1), "idle": round(median(idle_cpu) * ms, 1)},
        "lag_wait_p95_ms": round(percentile([j["wait"] for j in jobs], 95) * ms, 1),
        "lag_processing_p50_ms": round(percentile([j["processing"] for j in jobs], 50) * ms, 1),
        "within_interval_plus_slack": sum(j["lag"] <= j["interval"] + LAG_SLACK for j in jobs),
        "interval_in_force_p50_ms": round(percentile([j["interval"] for j in jobs], 50) * ms, 1),
        "interval_in_force_p95_ms": round(percentile([j["interval"] for j in jobs], 95) * ms, 1),
        "cpu_ms_per_job": round(cpu / count * ms, 1), "wall_s": round(wall, 1),
        "shortest_jobs": [{k: round(v, 3) for k, v in j.items()} for j in by_length[:3]],
        "longest_jobs": [{k: round(v, 3) for k, v in j.items()} for j in by_length[-3:]]}}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(config))


if __name__ == "__main__":
    serve(measure)
