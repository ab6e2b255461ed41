"""How a figure runs: each in its own Python process (clean memory, imports and CPU counters),
configured by one JSON argument, answering with one `BENCH-RESULT {json}` line on stdout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH-RESULT "


_scratch: Path | None = None


def scratch(name: str) -> Path:
    """A fresh folder for this figure's data dirs and stand-in state, removed when the figure ends
    (kept with BENCH_KEEP=1)."""
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="cctui-bench-"))
    folder = _scratch / name
    folder.mkdir(parents=True)
    return folder


def serve(measure: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The `__main__` of a figure module: config from argv[1], the result on stdout."""
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    try:
        result = measure(config)
    finally:
        if _scratch is not None and not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(_scratch, ignore_errors=True)
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_figure(module: str, config: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", module, json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{module} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = json.loads(lines[-1][len(MARK):])
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
