"""The benchmark (bench/) in quick mode: it runs end to end and reports every figure as a number
(positive where it must be), so that it never rots. The figures themselves are not checked here
(CI machines vary). In the CI slice (about a minute): the bench is proved to run on every change."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = ["startup_ms", "startup_ready_ms", "engine_ms", "engine_first_poll_wait_ms", "engine_workflow_load_ms", "engine_clients_ms",
           "engine_rest_ms", "render_ms",
           *(f"render_{name}_{unit}" for name in ("standard", "draft", "small", "detailed") for unit in ("ms", "mb")),
           "jobs_requests_per_job", "jobs_lag_p50_ms", "jobs_lag_p95_ms", "jobs_lag_over_interval_p95_ms",
           "jobs_done_to_row_p95_ms", "jobs_cpu_s",
           "jobs_peak_rss_mb", "keys_p95_ms", "keys_cpu_p95_ms", "resume_ms", "preview_ms"]

# A job is often marked done before one whole poll interval has passed since the poll before.
SIGNED = {"jobs_lag_over_interval_p95_ms"}


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def test_quick_bench_reports_every_figure(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    results = json.loads(out.read_text())
    assert results["mode"] == "quick"
    rows = {row["key"]: row for row in results["rows"]}
    assert sorted(rows) == sorted(FIGURES), "figures missing or unexpected"
    for key, row in rows.items():
        if key in SIGNED:
            assert isinstance(row["value"], (int, float)) and math.isfinite(row["value"]), f"{key}: {row!r}"
        else:
            assert _positive(row["value"]), f"{key}: {row['value']!r}"
        if row["baseline"] is not None:
            assert _positive(row["baseline"]) and _positive(row["ratio"]), f"{key}: {row}"
        assert row["met"] in (True, False, None)
    assert "figure" in done.stdout and "written:" in done.stdout  # the table was printed
