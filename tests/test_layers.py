"""The layer rules (pyproject's `[tool.importlinter]` contracts), checked with import-linter:
nothing but the ui imports Textual, the engine never imports the ui, the lower layers never
import the engine, the ui reaches costs, store and export only through the engine, costs import
no provider. The second test shows the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(where: Path = ROOT) -> subprocess.CompletedProcess:
    """import-linter with the project's contracts, on the `cctui` package found from `where`."""
    return subprocess.run([str(LINT), "--no-cache", str(ROOT / "pyproject.toml")], cwd=where, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(where)})


def test_the_layer_contracts_hold():
    proc = lint()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "6 kept, 0 broken" in proc.stdout


def test_an_engine_module_importing_textual_breaks_them(tmp_path):
    copy = tmp_path / "cctui"
    shutil.copytree(ROOT / "cctui", copy, ignore=shutil.ignore_patterns("__pycache__"))
    engine = copy / "engine" / "engine.py"
    engine.write_text("import textual.app  # deliberate violation\n" + engine.read_text())
    proc = lint(tmp_path)  # the copy, found before the installed package
    assert proc.returncode != 0
    assert "Nothing but the ui imports Textual BROKEN" in proc.stdout
    assert "cctui.engine.engine -> textual (l.1)" in proc.stdout
