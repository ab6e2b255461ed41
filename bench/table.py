"""The results as a plain-text table (terminal) and as a Markdown table (README)."""

from __future__ import annotations

from typing import Any

HEADER = ("figure", "value", "baseline", "ratio", "target", "met?")


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.0f} ms" if abs(value) >= 100 else f"{value:.1f} ms"
    if unit == "requests":
        return f"{value:.1f}"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:,.1f} {unit}"


def cells(row: dict[str, Any]) -> tuple[str, ...]:
    baseline = ""
    if row["baseline"] is not None:
        baseline = f"{_number(row['baseline'], row['unit'])} ({row['baseline_label']})"
    ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else ""
    met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
    figure = row["figure"] + (f" [n={row['n']}]" if row["n"] > 1 else "") + (f" ({row['note']})" if row["note"] else "")
    return figure, _number(row["value"], row["unit"]), baseline, ratio, row["target_text"], met


def text_table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = []
    for i, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        figure, *rest = (c.replace("|", "/") for c in cells(r))
        indent = len(figure) - len(figure.lstrip(" "))
        out.append("| " + " | ".join(["&nbsp;" * indent + figure.lstrip(" "), *rest]) + " |")
    return "\n".join(out)
