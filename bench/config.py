"""How much each figure measures, in full mode and in `--quick` mode (the CI smoke run)."""

from __future__ import annotations

FIGURES = ("startup", "engine", "render", "jobs", "resume", "preview")

FULL = {
    "startup": {"n": 10, "runs": 1000},
    "engine": {"n": 5, "warmup": 1, "render": True},
    "render": {"n": 5, "seconds": 15.0, "clip_seconds": 5.0},
    "jobs": {"jobs": 200, "min_seconds": 2.0, "max_seconds": 20.0, "baseline_presses": 60},
    "resume": {"n": 7, "events": 10_000},
    "preview": {"n": 15},
}

QUICK = {
    "startup": {"n": 3, "runs": 100},
    "engine": {"n": 2, "warmup": 1, "render": False},
    "render": {"n": 1, "seconds": 1.0, "clip_seconds": 1.0},
    "jobs": {"jobs": 20, "min_seconds": 1.0, "max_seconds": 3.0, "baseline_presses": 20},
    "resume": {"n": 2, "events": 1000},
    "preview": {"n": 5},
}

# Every figure a run reports (the render is timed in full mode only).
KEYS = ("startup_ms", "startup_ready_ms", "engine_ms", "engine_first_poll_wait_ms", "engine_workflow_load_ms",
        "engine_clients_ms",
        "engine_rest_ms", "render_ms",
        "jobs_requests_per_job", "jobs_lag_p50_ms", "jobs_lag_p95_ms", "jobs_done_to_row_p95_ms", "jobs_cpu_s",
        "jobs_peak_rss_mb", "keys_p95_ms", "keys_cpu_p95_ms", "resume_ms", "preview_ms")
