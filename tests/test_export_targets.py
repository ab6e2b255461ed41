"""`cctui export` never touches what it does not own.

Every refused target ends in exit 2 and one `error:` line, and every file of the run (and the
user's own files) is still there with the same bytes. The run is the real demo run shared with
test_final_video.py; every export goes through the real CLI entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_final_video import demo_run  # noqa: F401 - the shared demo run fixture

from cctui.cli import main


def snapshot(data: Path) -> dict[Path, str]:
    """Every file under the data dir (media, renders, the earlier export, the database)."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.fixture
def run(demo_run):  # noqa: F811
    before = snapshot(demo_run["data"])
    assert any(p.suffix == ".mp4" for p in before) and any(p.suffix == ".mp3" for p in before)
    yield demo_run
    assert snapshot(demo_run["data"]) == before


def export(run, *args: str) -> int:
    return main(["--data-dir", str(run["data"]), "export", run["run_id"], *args])


def refused(capsys, message: str) -> None:
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"


def no_leftovers(folder: Path) -> None:
    assert not [p for p in folder.iterdir() if ".part-" in p.name or ".old-" in p.name]


@pytest.mark.parametrize("inside", ["runs", "runs/{run}", "runs/{run}/export", "runs/{run}/media"])
def test_a_folder_inside_the_runs_folder_is_refused(run, capsys, inside):
    data, rid = run["data"].resolve(), run["run_id"]
    folder = data / inside.format(run=rid)
    assert export(run, str(folder)) == 2
    refused(capsys, f"{folder / rid} is inside cctui's runs folder {data / 'runs'}, where run media lives. "
                    f"Choose a folder outside {data}, or leave out DIR to use the run's export folder")
    no_leftovers(folder)


def test_a_symlink_into_the_runs_folder_is_refused(run, capsys, tmp_path):
    data, rid = run["data"].resolve(), run["run_id"]
    (tmp_path / "link").symlink_to(data / "runs")
    assert export(run, str(tmp_path / "link")) == 2
    refused(capsys, f"{data / 'runs' / rid} is inside cctui's runs folder {data / 'runs'}, where run media lives. "
                    f"Choose a folder outside {data}, or leave out DIR to use the run's export folder")


@pytest.mark.parametrize("points_at", ["data", "parent"])
def test_the_data_dir_or_a_folder_holding_it_is_refused(run, capsys, tmp_path, points_at):
    # DIR/RUN_ID is the data dir (or holds it) when RUN_ID in DIR is a symlink to it.
    data, rid = run["data"].resolve(), run["run_id"]
    real = data if points_at == "data" else data.parent
    (tmp_path / rid).symlink_to(real)
    assert export(run, str(tmp_path)) == 2
    refused(capsys, f"{real} holds cctui's data folder {data}; export would replace it. Choose a folder outside {data}")
    assert (tmp_path / rid).resolve() == real


def test_a_folder_holding_a_runs_media_outside_the_data_dir_is_refused(run, capsys, tmp_path):
    # A run may use the user's own file, e.g. a music track from ~/Music: its folder is not export's.
    data = tmp_path / "data"
    shutil.copytree(run["data"], data)
    rid = run["run_id"]
    song = tmp_path / "Music" / rid / "song.mp3"
    song.parent.mkdir(parents=True)
    song.write_bytes(b"the user's own song")
    db = sqlite3.connect(data / "cctui.db")
    state = json.loads(db.execute("SELECT state FROM runs WHERE run_id = ?", (rid,)).fetchone()[0])
    state["selected_music_track"]["local_path"] = str(song)
    db.execute("UPDATE runs SET state = ? WHERE run_id = ?", (json.dumps(state), rid))
    db.commit()
    db.close()
    assert main(["--data-dir", str(data), "export", rid, str(tmp_path / "Music")]) == 2
    refused(capsys, f"{song.parent.resolve()} holds media of run {rid} ({song.resolve()}); export would replace it. "
                    "Choose a folder that holds no run's files")
    assert song.read_bytes() == b"the user's own song"
    assert sorted(p.name for p in song.parent.iterdir()) == ["song.mp3"]


def test_an_existing_file_is_refused(run, capsys, tmp_path):
    rid = run["run_id"]
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    assert export(run, str(notes)) == 2
    refused(capsys, f"{notes.resolve()} is a file, not a folder. Choose a folder to export into")
    # DIR is a folder but DIR/RUN_ID is a file.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / rid).write_text("also mine\n")
    assert export(run, str(tmp_path / "out")) == 2
    refused(capsys, f"{(tmp_path / 'out' / rid).resolve()} is a file, not a folder. Choose a folder to export into")
    assert notes.read_text() == "mine\n" and (tmp_path / "out" / rid).read_text() == "also mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "out"]
    no_leftovers(tmp_path / "out")


def test_a_folder_that_cannot_be_written_is_refused(run, capsys, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:
        # root writes anywhere; make os.access answer as it would for the owner of a 0500 folder.
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != ro.resolve() and real_access(p, mode, **kw))
    try:
        assert export(run, str(ro)) == 2
        refused(capsys, f"cannot write in {ro.resolve()}. Choose a folder you can write to")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("content", ["notes", "other-run"])
def test_an_existing_folder_that_is_not_an_export_of_this_run_is_refused(run, capsys, tmp_path, content):
    rid = run["run_id"]
    folder = tmp_path / rid
    folder.mkdir()
    if content == "notes":
        (folder / "notes.txt").write_text("mine\n")
    else:
        (folder / "run.json").write_text(json.dumps({"run_id": "some-other-run"}))
    before = snapshot(folder)
    assert export(run, str(tmp_path)) == 2
    refused(capsys, f"{folder.resolve()} already exists and is not an export of run {rid}. "
                    "Remove or rename it, or choose another folder")
    assert snapshot(folder) == before
    no_leftovers(tmp_path)


def test_an_earlier_export_of_the_same_run_or_an_empty_folder_is_replaced(run, capsys, tmp_path):
    rid = run["run_id"]
    (tmp_path / rid).mkdir()
    assert export(run, str(tmp_path)) == 0
    first = json.loads((tmp_path / rid / "run.json").read_text())["exported_at"]
    assert export(run, str(tmp_path)) == 0
    assert json.loads((tmp_path / rid / "run.json").read_text())["exported_at"] > first
    assert (tmp_path / rid / "final.mp4").read_bytes() == (run["export"] / "final.mp4").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [rid]
    assert capsys.readouterr().err == ""


def test_a_killed_exports_leftovers_are_cleaned_by_the_next_export(run, tmp_path):
    rid = run["run_id"]
    # What a kill leaves: the half-written `.RUN.part-XXXXXX` (before the swap) or, killed between
    # the two renames, the earlier bundle as `.RUN.old-XXXXXX`.
    part = tmp_path / f".{rid}.part-0a1b2c"
    part.mkdir(mode=0o700)
    (part / "final.mp4").write_bytes(b"\0" * 1000)
    old = tmp_path / f".{rid}.old-3d4e5f"
    old.mkdir()
    (old / "run.json").write_text(json.dumps({"run_id": rid}))
    # Names export never makes, and a symlink with export's name, are not export's to remove.
    mine = tmp_path / f".{rid}.part-notes"
    mine.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    (tmp_path / f".{rid}.part-ffffff").symlink_to(elsewhere)
    assert export(run, str(tmp_path)) == 0
    assert not part.exists() and not old.exists()
    assert mine.is_dir() and (elsewhere / "keep.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [rid, f".{rid}.part-notes", f".{rid}.part-ffffff", "elsewhere"])


def test_the_default_export_folder_is_still_written_and_its_leftovers_cleaned(demo_run, capsys):  # noqa: F811
    rid, export_dir = demo_run["run_id"], demo_run["export"]
    part = export_dir.with_name(".export.part-9f8e7d")
    part.mkdir()
    (part / "final.mp4").write_bytes(b"\0" * 1000)
    media = {p: p.read_bytes() for p in (export_dir.parent / "media").iterdir()}
    assert main(["--data-dir", str(demo_run["data"]), "export", rid]) == 0
    assert f"exported run {rid} to {export_dir.resolve()}" in capsys.readouterr().out
    assert not part.exists()
    assert (export_dir / "final.mp4").read_bytes() == (export_dir.parent / "render" / "final.mp4").read_bytes()
    assert {p: p.read_bytes() for p in (export_dir.parent / "media").iterdir()} == media
    no_leftovers(export_dir.parent)
