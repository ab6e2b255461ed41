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
