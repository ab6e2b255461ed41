"""Issue 15: the runs screen paints with only Textual and the store imported. The engine (every
module), the provider SDKs, jsonschema, Jinja2, pydantic (the typed contract) and the pictures'
libraries (Pillow, textual-image) come after the first paint.

A subprocess: this test process has them all imported already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ui.app_harness import seed_runs

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("openai", "jsonschema", "jinja2", "cctui.providers", "pydantic", "PIL", "textual_image.widget",
         "cctui.result_items", "cctui.media")

# Starts the real app (`make_app`, as `cctui` does) headless and records sys.modules at the first
# paint that shows the runs table with its rows; then lets it finish loading and records again.
PROBE = r"""
import asyncio, json, sys
from pathlib import Path

from textual.widgets import DataTable

import cctui.cli  # the `cctui` command's module, as it starts the app
from cctui.settings import load_settings
from cctui.ui.terminal_images import prepare
from cctui.ui.app import make_app
from cctui.ui.screens.runs_screen import RunsScreen

tmp = Path(sys.argv[1])
settings = load_settings(env={}, config_file=tmp / "none.toml", data_dir=tmp / "data", image_protocol="halfcell")
prepare("halfcell")  # as `cctui` does before the app
app = make_app(settings)
seen = {}
display = app._display

def counted(screen, renderable):
    display(screen, renderable)
    if "painted" in seen or renderable is None or not isinstance(app.screen, RunsScreen):
        return
    table = app.screen.query_one(DataTable)
    if table.row_count and table.display:
        seen["painted"] = sorted(sys.modules)
        seen["first_row"] = [str(cell) for cell in table.get_row_at(0)]

app._display = counted

async def main():
    async with app.run_test(headless=True) as pilot:
        for _ in range(600):
            screen = app.screen
            if "painted" in seen and isinstance(screen, RunsScreen) and str(screen.query_one("#runs-intro").render()):
                break
            await pilot.pause(0.05)
        seen["later"] = sorted(sys.modules)
        seen["last_row"] = [str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0)]

asyncio.run(main())
print(json.dumps(seen))
"""


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_runs_screen_paints_before_the_sdks_and_the_workflow_loader(tmp_path):
    seed_runs(tmp_path, [{"run_id": "run-1", "status": "waiting", "position": {"step": 1}, "age": 120}])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "painted" in seen, "the runs table never painted with its row"
    assert heavy(seen["painted"]) == []
    assert "cctui.engine.modules" not in seen["painted"] and "cctui.workflow.loader" not in seen["painted"]
    # The first paint has the run from the store; its workflow's name and step title follow.
    assert seen["first_row"][0] == "run-1"
    assert "cctui.workflow.loader" in seen["later"]
    assert seen["last_row"][1].startswith("Cuddle Crew"), seen["last_row"]
