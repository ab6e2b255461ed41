"""`cctui --workflow DIR`: checked before the app starts; every refusal is `error:` lines and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_app(monkeypatch):
    started = []
    monkeypatch.setattr("cctui.ui.app.run_app", lambda settings, **kwargs: started.append(kwargs) or 0)
    return started


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_a_folder_that_does_not_exist(tmp_path, capsys, no_app):
    code, err = run(["--workflow", str(tmp_path / "nope")], capsys)
    assert code == 2 and not no_app
    assert err == (f"error: --workflow {tmp_path / 'nope'}: does not exist; give the folder that holds the "
                   "workflow file (check it with `cctui validate DIR`)\n")


def test_a_file_is_not_a_folder(tmp_path, capsys, no_app):
    (tmp_path / "workflow.json").write_text("{}", encoding="utf-8")
    code, err = run(["--demo", "--workflow", str(tmp_path / "workflow.json")], capsys)
    assert code == 2 and not no_app
    assert ": is not a folder;" in err


def test_a_folder_that_does_not_load_names_each_problem(tmp_path, capsys, no_app):
    (tmp_path / "workflow.json").write_text(json.dumps({"workflow_id": "w", "name": "W"}), encoding="utf-8")
    code, err = run(["--demo", "--workflow", str(tmp_path)], capsys)
    assert code == 2 and not no_app
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and "workflow.json: at $.steps: required field 'steps' is missing" in lines[0]
    assert lines[-1] == f"error: --workflow {tmp_path} does not load: fix it (`cctui validate {tmp_path}`) and open it again"


def test_a_subcommand_does_not_take_it(capsys, no_app):
    code, err = run(["--workflow", str(ROOT / "workflows" / "cc"), "validate"], capsys)
    assert code == 2
    assert err.startswith("error: --workflow opens a workflow in the app; `cctui validate` does not use it")


def test_a_good_folder_reaches_the_app(tmp_path, capsys, no_app, monkeypatch):
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "config.toml"))
    folder = ROOT / "workflows" / "cc"
    code, err = run(["--data-dir", str(tmp_path / "data"), "--workflow", str(folder)], capsys)
    assert (code, err) == (0, "")
    # Decided before the app starts: half cells, as stdout here is not a terminal.
    assert no_app == [{"image_protocol": "halfcell", "workflow_dir": folder}]
