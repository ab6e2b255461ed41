"""Medians and percentiles (linear interpolation between closest ranks), without numpy."""

from __future__ import annotations

import math
from typing import Iterable


def percentile(values: Iterable[float], p: float) -> float:
    data = sorted(values)
    if not data:
        return math.nan
    rank = (len(data) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return data[low] + (data[high] - data[low]) * (rank - low)


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan
