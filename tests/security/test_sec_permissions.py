"""What cctui creates for itself is private: the data directory 0700, the database (and its WAL
and shared-memory files) 0600, the log folder 0700, an export folder not readable by others.
The umask is set to the common 022 so that the code, not the umask, must do it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cctui.logs import setup_logging
from cctui.settings import SettingsError, load_settings
from cctui.store.db import Store

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOW = ROOT / "workflows" / "cc"
STEP1 = {"select_pet_type": {"select": [0]}, "select_aesthetic": {"select": [0]}, "select_duration": {"select": [0]},
         "get_user_direction": {"text": "x"}}


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_store_creates_a_private_data_dir_and_database(tmp_path, umask_022):
    data = tmp_path / "home" / "data"
    store = await Store.open(data / "cctui.db")
    try:
        run_id = await store.create_run("wf", "dir", {"a": 1}, {"step": 0, "module": 0})
        await store.add_event(run_id, "run_started", 0, {})
        assert mode(data) == 0o700
        assert mode(data / "cctui.db") == 0o600
        wal_files = [data / "cctui.db-wal", data / "cctui.db-shm"]
        assert any(p.exists() for p in wal_files)  # WAL mode: these hold recent writes too
        for path in wal_files:
            if path.exists():
                assert mode(path) & 0o077 == 0, f"{path.name} is {oct(mode(path))}"
    finally:
        await store.close()


def test_the_log_folder_is_private(tmp_path, umask_022):
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data")
    import logging

    try:
        path = setup_logging(settings)
        assert mode(path.parent) == 0o700
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_cctui", False)]:
            root.removeHandler(handler)
            handler.close()


async def test_an_export_folder_is_not_readable_by_others(tmp_path, umask_022):
    from cctui.export import export_run

    store = await Store.open(tmp_path / "data" / "cctui.db")
    try:
        run_id = await store.create_run("wf", "dir", {"selected_title": "A title"}, {"step": 0, "module": 0})
        result = await export_run(store, run_id, tmp_path / "data" / "runs" / run_id / "export", results=[])
    finally:
        await store.close()
    folder = Path(result["folder"])
    assert folder.is_dir() and mode(folder) & 0o077 == 0, oct(mode(folder))


def test_the_data_dir_made_by_cctui_run_is_private(tmp_path, umask_022):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**STEP1, "select_scene": {"select": [9]}}))  # stops in step 2, nothing paid
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("CCTUI_")}
    env.update(CCTUI_DATA_DIR=str(data), CCTUI_CONFIG=str(tmp_path / "none.toml"), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "cctui.cli", "run", str(WORKFLOW), "--answers", str(answers), "--demo"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "no item 9" in proc.stderr, proc.stderr
    assert mode(data / "cctui.db") == 0o600
    assert mode(data) == 0o700, oct(mode(data))


def make_open_data_dir(data: Path) -> None:
    """A data folder as an older cctui (or a hand-made mkdir under umask 022) left it."""
    (data / "logs").mkdir(parents=True)
    (data / "runs" / "r1").mkdir(parents=True)
    for path in (data / "cctui.db", data / "logs" / "cctui.log", data / "runs" / "r1" / "cover.png"):
        path.write_bytes(b"x")
        os.chmod(path, 0o644)
    for path in (data / "runs" / "r1", data / "runs", data / "logs", data):
        os.chmod(path, 0o755)


def test_an_existing_open_data_dir_is_made_private_when_settings_load(tmp_path, umask_022):
    data = tmp_path / "data"
    make_open_data_dir(data)
    load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=data)
    assert mode(data) == 0o700
    for folder in (data / "logs", data / "runs", data / "runs" / "r1"):
        assert mode(folder) == 0o700, folder
    for path in (data / "cctui.db", data / "logs" / "cctui.log", data / "runs" / "r1" / "cover.png"):
        assert mode(path) == 0o600, path


def test_an_open_data_dir_of_another_user_is_refused_with_the_fix(tmp_path, umask_022, monkeypatch, capsys):
    from cctui.cli import main

    data = tmp_path / "shared data"
    make_open_data_dir(data)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(data).st_uid + 1)
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--data-dir", str(data), "runs"]) == 2
    assert capsys.readouterr().err == (
        f"error: the data folder {data} can be read by other users (mode 0755) and belongs to another user, so "
        f"cctui cannot make it private: run `chmod 700 '{data}'` as its owner, or choose another folder with "
        "--data-dir or CCTUI_DATA_DIR\n")
    assert mode(data) == 0o755 and mode(data / "cctui.db") == 0o644  # left as it was


def test_an_open_folder_holding_other_files_is_not_closed_without_asking(tmp_path, umask_022):
    # `--data-dir ~` by mistake must not make the whole home folder private.
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    for name in ("notes.txt", "Pictures", ".bashrc", "public_html"):
        (home / name).touch()
    with pytest.raises(SettingsError) as info:
        load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=home)
    assert str(info.value) == (
        f"the data folder {home} can be read by other users (mode 0755) and holds files cctui did not make "
        f"(.bashrc, Pictures, notes.txt, ...), so cctui leaves it as it is: run `chmod 700 {home}` if it is yours "
        "to close, or choose another folder with --data-dir or CCTUI_DATA_DIR")
    assert mode(home) == 0o755


def test_a_data_dir_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "data"
    path.write_text("")
    with pytest.raises(SettingsError, match=f"^the data folder {path} is not a folder: choose another with --data-dir "
                                        "or CCTUI_DATA_DIR$"):
        load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=path)
