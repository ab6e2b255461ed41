"""The noise between runs of the same build (`python -m bench --repeat N`): its computation on fixed
values, and one cheap figure measured twice in quick mode with the noise stored per figure. Only
the shape and arithmetic are checked: no timing decides a result."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from bench.noise import spread, with_noise

ROOT = Path(__file__).resolve().parent.parent


def test_spread_is_the_range_over_the_median():
    assert spread([100.0, 110.0]) == 0.0952  # 10 / 105
    assert spread([90.0, 100.0, 120.0]) == 0.3
    assert spread([-120.0, -100.0]) == 0.1818  # signed figures: relative to |median|
    assert spread([5.0, 5.0]) == 0.0
    assert spread([5.0]) is None  # one run says nothing about the noise
    assert spread([0.0, 0.0]) is None
    assert spread([1.0, math.nan]) is None


def test_with_noise_keeps_the_first_run_and_adds_each_figures_spread():
    def run(a, b, seconds):
        return {"figure": "x", "rows": [{"key": "a", "value": a}, {"key": "b", "value": b}], "details": {},
                "seconds": seconds}

    merged = with_noise([run(100.0, 4.0, 1.0), run(110.0, 4.0, 2.0)])
    assert [r["value"] for r in merged["rows"]] == [100.0, 4.0]
    assert [r["noise"] for r in merged["rows"]] == [0.0952, 0.0]
    assert merged["rows"][0]["noise_runs"] == [100.0, 110.0]
    assert merged["repeat"] == 2 and merged["seconds"] == 3.0


def test_quick_resume_twice_stores_its_noise_and_compares(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"mode": "quick", "rows": [
        {"key": "resume_ms", "figure": "resume (earlier)", "value": 100.0, "unit": "ms", "met": None}]}))
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "resume", "--repeat", "2",
                           "--out", str(out), "--compare", str(old)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["repeat"] == 2 and results["figures"]["resume"]["repeat"] == 2
    (row,) = results["rows"]
    assert len(row["noise_runs"]) == 2 and row["value"] == row["noise_runs"][0]
    assert row["noise"] == spread(row["noise_runs"]) and row["noise"] >= 0
    assert f"old: {old}" in done.stdout and f"new: {out}" in done.stdout
    after = done.stdout.split(f"new: {out}", 1)[1]  # the comparison, printed after the run's own table
    compared = next(line for line in after.splitlines() if line.startswith("resume: run with"))
    assert "100.0 ms" in compared and f"{row['noise']:.1%} (new)" in compared
    assert "measured noise" in done.stdout
