"""`python -m bench [--quick] [--out FILE] [--only FIGURE ...] [--markdown] [--repeat N] [--compare OLD.json]`,
or `python -m bench --compare OLD.json --against NEW.json` (two files, nothing measured)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.compare import ResultsFileError, compare, load_results, render, results_from
from bench.config import FIGURES, FULL, QUICK
from bench.noise import with_noise
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


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="cctui's benchmark")
    parser.add_argument("--quick", action="store_true", help="a reduced run of every figure (under a minute)")
    parser.add_argument("--out", type=Path, help="where to write the results JSON (default: bench/results.json, "
                        "or bench/results-quick.json with --quick)")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="measure only these figures")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure each figure N times (N >= 2) and store each figure's noise, the spread of "
                        "its values, in the results; the table shows the first run")
    parser.add_argument("--compare", type=Path, metavar="OLD.json",
                        help="after the run, print each figure beside this earlier results file, flagging what got "
                        "slower by more than the noise")
    parser.add_argument("--against", type=Path, metavar="NEW.json",
                        help="with --compare: compare OLD.json with this file instead of measuring")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat: expected a count of runs, 1 or more, got {args.repeat}")
    if args.against and not args.compare:
        parser.error("--against NEW.json needs --compare OLD.json")
    if args.against and (args.quick or args.only or args.out or args.repeat > 1 or args.markdown):
        parser.error("--compare OLD.json --against NEW.json compares two files and measures nothing: "
                     "leave out --quick, --only, --out, --repeat and --markdown")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        # The earlier file is checked before measuring, not after minutes of it.
        old = load_results(args.compare) if args.compare else None
        if args.against:
            new = load_results(args.against)
            print(render(old, new, compare(old, new)))
            return 0
    except ResultsFileError as exc:
        print(f"error: {exc.report()}", file=sys.stderr)
        return 2
    out, results = measure(args)
    if old is not None:
        new = results_from(out, results)
        print()
        print(render(old, new, compare(old, new)))
    return 0


def measure(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    plan = QUICK if args.quick else FULL
    out = args.out or HERE / ("results-quick.json" if args.quick else "results.json")
    started = time.perf_counter()
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "machine": machine(),
                               "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "config": plan,
                               "repeat": args.repeat, "figures": {}}
    for name in args.only or FIGURES:
        runs = []
        for i in range(args.repeat):
            print(f"measuring {name}{f' ({i + 1} of {args.repeat})' if args.repeat > 1 else ''} ...",
                  file=sys.stderr, flush=True)
            runs.append(run_figure(f"bench.fig_{name}", plan[name]))
        results["figures"][name] = with_noise(runs) if args.repeat > 1 else runs[0]
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
    return out, results


if __name__ == "__main__":
    raise SystemExit(main())
