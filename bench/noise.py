"""The noise between runs of the same build: each figure measured `--repeat N` times in one
invocation, and the spread of its values kept in the results as `noise`, so that `--compare` can
tell a slower build from a noisy machine."""

from __future__ import annotations

import math
from typing import Any

from bench.stats import median


def spread(values: list[float]) -> float | None:
    """(max - min) / |median| of one figure's values over the runs, or None when there are fewer
    than two finite values or their median is zero (no relative spread to speak of)."""
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if len(finite) < 2:
        return None
    middle = median(finite)
    if middle == 0:
        return None
    return round((max(finite) - min(finite)) / abs(middle), 4)


def with_noise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure's result from several runs of it: the first run as measured, each of its rows
    with `noise` (see `spread`) and `noise_runs` (its value in every run, in order)."""
    first = dict(runs[0])
    rows = []
    for row in first["rows"]:
        values = [r["value"] for run in runs for r in run["rows"] if r["key"] == row["key"]]
        rows.append({**row, "noise": spread(values), "noise_runs": values})
    first["rows"] = rows
    first["repeat"] = len(runs)
    first["seconds"] = round(sum(run["seconds"] for run in runs), 1)
    return first
