"""One line of the results table: a figure, its value and baseline, the ratio, the target."""

from __future__ import annotations

import math
from typing import Any


def row(key: str, figure: str, value: float, unit: str, *, n: int, baseline: float | None = None,
        baseline_label: str = "", target: float | None = None, target_on: str = "value",
        target_text: str = "", note: str = "", better: str = "lower") -> dict[str, Any]:
    """`target` is an upper bound on the value (or, with target_on="ratio", on the ratio); `better`
    says which way is an improvement, for `--compare`."""
    ratio = value / baseline if baseline else None
    met = None
    if target is not None:
        checked = ratio if target_on == "ratio" else value
        met = checked is not None and not math.isnan(checked) and checked <= target
    return {"key": key, "figure": figure, "value": round(value, 3), "unit": unit, "n": n,
            "baseline": None if baseline is None else round(baseline, 3), "baseline_label": baseline_label,
            "ratio": None if ratio is None else round(ratio, 3), "target": target, "target_on": target_on,
            "target_text": target_text, "met": met, "note": note,
            "better": better}
