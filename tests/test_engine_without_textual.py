"""The engine, the workflow loader, the store and batch mode import and run with Textual absent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import sys, asyncio, importlib.abc

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith(("textual.", "textual_image")):
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1] + "/tests")
import cctui.engine.engine, cctui.batch, cctui.workflow.loader, cctui.store.db, cctui.jobs.manager, cctui.cli
from cctui.batch import BatchRunner, load_answers
from fakes import FakeProviders
from pathlib import Path

async def main():
    engine = await cctui.engine.engine.Engine.open(Path(sys.argv[2]) / "db", FakeProviders(), Path(sys.argv[2]) / "runs")
    engine.services.jobs.min_poll = 0.01
    run = await BatchRunner(engine, load_answers(Path(sys.argv[1]) / "examples/cc-answers.json"), out=lambda s: None).run(Path(sys.argv[1]) / "workflows/cc")
    await engine.close()
    assert run.status == "completed", run.status
    assert not any(m == "textual" or m.startswith("textual.") for m in sys.modules)
    print("OK", run.run_id)

asyncio.run(main())
"""


def test_engine_runs_the_cc_workflow_with_textual_blocked(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK ")
