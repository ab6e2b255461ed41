"""`python -m bench --compare OLD.json`: each figure beside an earlier results file, flagged when it
got worse by more than the noise between runs, or when a target it met is no longer met.

The noise of a figure is the larger of the two files' `noise` (measured with `--repeat`, see
bench/noise.py); only when neither file has one is DEFAULT_NOISE used, and every line says which."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cctui.errors import CctuiError

# A stated assumption, not a measurement: used only when neither file has a measured noise for the
# figure (results written without `--repeat`), and every such line says "(default)".
DEFAULT_NOISE = 0.10

HINT = "Give a results file written by `python -m bench` (for example bench/results.json)."


class ResultsFileError(CctuiError):
    hint = HINT


@dataclass(frozen=True)
class Results:
    path: Path
    mode: str
    date: str
    rows: dict[str, dict[str, Any]]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_row(path: Path, i: int, row: Any) -> dict[str, Any]:
    where = f"{path}: rows[{i}]"
    if not isinstance(row, dict):
        raise ResultsFileError(f"{where}: expected an object, got {type(row).__name__}")
    for field in ("key", "figure", "unit", "value"):
        if field not in row:
            raise ResultsFileError(f"{where}: the field {field!r} is missing")
    for field in ("key", "figure", "unit"):
        if not isinstance(row[field], str):
            raise ResultsFileError(f"{where}.{field}: expected a string, got {row[field]!r}")
    if not _number(row["value"]):
        raise ResultsFileError(f"{where}.value: expected a number, got {row['value']!r}")
    if row.get("met") not in (True, False, None):
        raise ResultsFileError(f"{where}.met: expected true, false or null, got {row.get('met')!r}")
    noise = row.get("noise")
    if noise is not None and not (_number(noise) and noise >= 0):
        raise ResultsFileError(f"{where}.noise: expected a number >= 0 or null, got {noise!r}")
    if row.get("better", "lower") not in ("lower", "higher"):
        raise ResultsFileError(f"{where}.better: expected \"lower\" or \"higher\", got {row.get('better')!r}")
    return row


def load_results(path: Path) -> Results:
    """The rows of a results file by key; a ResultsFileError naming the file and the field if the
    file is missing, not JSON or not shaped like the bench's results."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return results_from(path, data)


def results_from(path: Path, data: Any) -> Results:
    if not isinstance(data, dict):
        raise ResultsFileError(f"{path}: expected a JSON object with \"rows\", got {type(data).__name__}")
    rows = data.get("rows")
    if not isinstance(rows, list):
        raise ResultsFileError(f"{path}: rows: expected a list of figures, got {rows!r:.60}")
    by_key: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        row = _check_row(path, i, row)
        if row["key"] in by_key:
            raise ResultsFileError(f"{path}: rows[{i}].key: {row['key']!r} appears twice")
        by_key[row["key"]] = row
    return Results(path, str(data.get("mode", "?")), str(data.get("date", "?")), by_key)


@dataclass(frozen=True)
class Line:
    figure: str
    old: str
    new: str
    change: str
    noise: str
    met: str
    flag: str


def _value(row: dict[str, Any] | None) -> str:
    if row is None:
        return "(missing)"
    value, unit = row["value"], row["unit"]
    if math.isnan(value):
        return "nan"
    return f"{value:,.1f} {unit}" if abs(value) >= 100 else f"{value:.3g} {unit}"


def _met(row: dict[str, Any] | None) -> str:
    return "" if row is None or row.get("met") is None else ("yes" if row["met"] else "NO")


def noise_for(old: dict[str, Any], new: dict[str, Any]) -> tuple[float, str]:
    """The noise to judge this figure by, and where it came from: "old", "new" or "default"."""
    measured = [(row["noise"], side) for row, side in ((old, "old"), (new, "new")) if row.get("noise") is not None]
    if not measured:
        return DEFAULT_NOISE, "default"
    return max(measured)


def compare_row(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Line:
    label = (new or old)["figure"]
    if old is None or new is None:
        flag = "only in the new file" if old is None else "only in the old file"
        return Line(label, _value(old), _value(new), "", "", _met(new or old), flag)
    met_old, met_new = _met(old), _met(new)
    met = met_new if met_old == met_new else f"{met_old or '-'} -> {met_new or '-'}"
    flags = []
    change = ""
    noise, source = noise_for(old, new)
    a, b = old["value"], new["value"]
    if a != 0 and not (math.isnan(a) or math.isnan(b)):
        relative = (b - a) / abs(a)
        change = f"{relative:+.1%}"
        worse = relative if new.get("better", "lower") == "lower" else -relative
        if worse > noise:
            flags.append("slower")
    if old.get("met") is True and new.get("met") is False:
        flags.append("target no longer met")
    return Line(label, _value(old), _value(new), change, f"{noise:.1%} ({source})", met, ", ".join(flags))


def compare(old: Results, new: Results) -> list[Line]:
    """Every figure of either file: those of the old file in its order, then those only in the new."""
    keys = list(old.rows) + [k for k in new.rows if k not in old.rows]
    return [compare_row(old.rows.get(k), new.rows.get(k)) for k in keys]


HEADER = ("figure", "old", "new", "change", "noise", "met?", "flag")


def render(old: Results, new: Results, lines: list[Line]) -> str:
    table = [HEADER] + [(ln.figure, ln.old, ln.new, ln.change, ln.noise, ln.met, ln.flag) for ln in lines]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    out = [f"old: {old.path} ({old.mode} mode, {old.date})", f"new: {new.path} ({new.mode} mode, {new.date})"]
    if old.mode != new.mode:
        out.append(f"note: a {old.mode} run beside a {new.mode} run measure different amounts; expect differences")
    out.append("")
    for i, r in enumerate(table):
        out.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(r)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    sources = {ln.noise.rsplit("(", 1)[-1].rstrip(")") for ln in lines if ln.noise}
    out.append("")
    out.append("noise: " + _noise_note(sources))
    slower = sum("slower" in ln.flag for ln in lines)
    unmet = sum("target no longer met" in ln.flag for ln in lines)
    out.append(f"{slower} slower beyond the noise, {unmet} target(s) no longer met" if slower or unmet
               else "nothing slower beyond the noise, no target lost")
    return "\n".join(out)


def _noise_note(sources: set[str]) -> str:
    measured = "the larger of the two files' measured noise (`--repeat`)"
    default = f"the default {DEFAULT_NOISE:.0%}, as neither file measured it"
    if sources <= {"default"}:
        return f"{default} (run with `--repeat 2` to measure it)"
    if "default" in sources:
        return f"{measured} where measured, else {default}"
    return measured
