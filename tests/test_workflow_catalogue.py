"""The catalogue of workflows: bundled, the user's workflows folders, `--workflow`; broken ones
listed with their first problem; one entry per folder however it is reached."""

from __future__ import annotations

import json
from pathlib import Path

from cctui.engine.catalogue import BUNDLED_DIR, Catalogue, user_workflow_dirs
from cctui.settings import load_settings
from poster_workflow import POSTER, write_poster

ROOT = Path(__file__).resolve().parent.parent


def write_broken(parent: Path) -> Path:
    folder = parent / "broken"
    folder.mkdir(parents=True)
    (folder / "workflow.json").write_text(json.dumps({"workflow_id": "broken", "name": "Broken"}), encoding="utf-8")
    return folder


def test_the_bundled_workflows_are_the_checkouts_workflows_folder():
    assert BUNDLED_DIR == ROOT / "workflows"
    assert [(w.folder, w.workflow_id, w.name, w.loads, w.problem) for w in Catalogue().known()] == [
        (ROOT / "workflows" / "cc", "cuddle_crew", "Cuddle Crew", True, ""),
        (ROOT / "workflows" / "quick_clip", "quick_clip", "Quick Clip", True, ""),
    ]


def test_bundled_user_folders_and_opened_each_listed_once(tmp_path):
    config_workflows, data_workflows = tmp_path / "config" / "workflows", tmp_path / "data" / "workflows"
    config_workflows.mkdir(parents=True)
    poster = write_poster(config_workflows)
    broken = write_broken(data_workflows)
    (data_workflows / "notes").mkdir()  # no workflow file: not a workflow folder
    (data_workflows / "readme.txt").write_text("not a folder", encoding="utf-8")
    other = tmp_path / "elsewhere" / "poster2"
    other.mkdir(parents=True)
    (other / "workflow.json").write_text(json.dumps({**POSTER, "workflow_id": "poster2", "name": "Poster 2"}),
                                         encoding="utf-8")
    # The CC folder reached a second way, and the poster again by a path with `..` in it.
    opened = [other, ROOT / "workflows" / "cc", config_workflows / ".." / "workflows" / "poster"]
    known = Catalogue(user_dirs=[config_workflows, data_workflows], opened=opened).known()

    assert [(w.folder, w.workflow_id, w.name, w.loads) for w in known] == [
        (ROOT / "workflows" / "cc", "cuddle_crew", "Cuddle Crew", True),
        (ROOT / "workflows" / "quick_clip", "quick_clip", "Quick Clip", True),
        (poster, "poster", "Poster", True),
        (broken, "broken", "broken", False),
        (other, "poster2", "Poster 2", True),
    ]
    problem = known[3].problem
    assert problem.startswith("broken/workflow.json: at $.steps: ") and "'steps' is missing" in problem
    assert "\n" not in problem  # the first problem only


def test_missing_user_folders_are_no_problem(tmp_path):
    known = Catalogue(bundled=[], user_dirs=[tmp_path / "none"], opened=[]).known()
    assert known == []


def test_the_user_folders_are_in_the_config_and_data_directories(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "conf" / "config.toml"))
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data")
    assert user_workflow_dirs(settings) == [tmp_path / "conf" / "workflows", tmp_path / "data" / "workflows"]
    (tmp_path / "data" / "workflows").mkdir(parents=True)
    write_poster(tmp_path / "data" / "workflows")
    assert [w.workflow_id for w in Catalogue.for_settings(settings).known()] == ["cuddle_crew", "quick_clip",
                                                                                    "poster"]
