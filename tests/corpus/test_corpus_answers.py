"""Bad answers files (`answers/`) for `cctui run workflows/cc --answers FILE --demo`, run as the
real command in a subprocess: exit 2, one message naming the file and the JSON path, no
traceback, and nothing spent (no run at all, or, for the one error that can only be found while
running, a run without a single job) in a database that passes `PRAGMA integrity_check`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ANSWERS = HERE / "answers"
ROOT = HERE.parent.parent
WORKFLOW = ROOT / "workflows" / "cc"
EXPECTED: dict[str, dict] = json.loads((ANSWERS / "expected.json").read_text(encoding="utf-8"))["files"]


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("CCTUI_")}
    env.update(CCTUI_DATA_DIR=str(data_dir), CCTUI_CONFIG=str(data_dir.parent / "no-config.toml"),
               CCTUI_DEMO_JOB_SECONDS="0.2", PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    base = tmp_path_factory.mktemp("answers_corpus")

    def run(name):
        data = base / name.removesuffix(".json") / "data"
        data.parent.mkdir()
        proc = subprocess.run([sys.executable, "-m", "cctui.cli", "run", str(WORKFLOW), "--answers",
                               str(ANSWERS / name), "--demo"],
                              capture_output=True, text=True, cwd=data.parent, env=clean_env(data), timeout=120)
        return name, (proc, data)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, sorted(EXPECTED)))


def test_every_file_on_disk_has_an_expectation():
    on_disk = {p.name for p in ANSWERS.glob("*.json")} - {"expected.json"}
    assert on_disk == set(EXPECTED) and len(on_disk) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_answers_are_refused_clearly_and_nothing_is_spent(name, cli_results):
    proc, data = cli_results[name]
    expected = EXPECTED[name]
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    line = errors[0]
    assert f"{ANSWERS / name}: {expected['where']}" in line, line
    assert expected["message"] in line, line
    assert "completed run" not in proc.stdout

    db_path = data / "cctui.db"
    if not expected["run_created"]:
        # Refused before the database was opened, let alone a run started.
        assert not db_path.exists(), f"{name}: a database was created for an answers file that was refused"
        return
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        runs = db.execute("SELECT run_id, status FROM runs").fetchall()
        assert len(runs) == 1, runs
        assert db.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        # The run stopped where the bad answer was needed and can be resumed from there.
        (position,) = db.execute("SELECT position FROM runs").fetchone()
        assert json.loads(position).get("interaction_id")
    finally:
        db.close()
