"""`python -m bench [--quick] [--out FILE] [--only FIGURE ...] [--markdown]`"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import FIGURES, FULL, QUICK
from bench.table import markdown_table, text_table
from bench.worker import run_figure

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    from importlib.metadata import version

    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "textual": version("textual"), "load_avg_at_start": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="cctui's benchmark")
    parser.add_argument("--quick", action="store_true", help="a reduced run of every figure (under a minute)")
    parser.add_argument("--out", type=Path, help="where to write the results JSON (default: bench/results.json, "
                        "or bench/results-quick.json with --quick)")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="measure only these figures")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    out = args.out or HERE / ("results-quick.json" if args.quick else "results.json")
    started = time.perf_counter()
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "machine": machine(),
                               "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "config": plan, "figures": {}}
    for name in args.only or FIGURES:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        results["figures"][name] = run_figure(f"bench.fig_{name}", plan[name])
        print(f"  {name}: {results['figures'][name]['seconds']} s", file=sys.stderr, flush=True)
    results["rows"] = [r for name in results["figures"] for r in results["figures"][name]["rows"]]
    results["seconds"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    m = results["machine"]
    print(f"cctui bench, {results['mode']} mode, {results['seconds']} s: {m['nproc']} x {m['cpu']}, "
          f"Python {m['python']}, load average at start {m['load_avg_at_start'][0]:.1f}")
    print(text_table(results["rows"]))
    if args.markdown:
        print()
        print(markdown_table(results["rows"]))
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
