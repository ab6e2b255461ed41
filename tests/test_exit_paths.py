"""Every way out of a command closes what it opened and ends the process; nothing hangs.

aiosqlite runs each connection on a non-daemon thread, so a store left open after an error keeps
the process alive forever. These tests start real processes and give each a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cctui.store import db as store_db
from cctui.store.db import Store, StoreOpenError
from cctui.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
CCTUI = [str(Path(sys.executable).parent / "cctui")]  # no `python -m cctui` (no __main__.py)
WORKFLOW = str(ROOT / "workflows" / "cc")
ANSWERS = str(ROOT / "examples" / "cc-answers.json")
HANG = 10  # seconds: far beyond a normal exit, far below "forever"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CCTUI_PRICES_FILE"}
    env["CCTUI_DEMO_JOB_SECONDS"] = "0.05"
    env.update(extra)
    return env


def _cctui(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CCTUI, "--data-dir", str(data_dir), *args], cwd=ROOT, env=env or _env(),
                          capture_output=True, text=True, timeout=HANG, stdin=subprocess.DEVNULL)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=HANG, stdin=subprocess.DEVNULL)


def _fresh_db(data_dir: Path) -> Path:
    # An empty file is a fresh database (schema 0): `runs` and `jobs` open it and migrate it.
    data_dir.mkdir(mode=0o700)
    db = data_dir / "cctui.db"
    db.touch(mode=0o600)
    return db


def _one_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


# --------------------------------------------------------------------------- opening at once


def _together(commands: list[list[str]]) -> list[tuple[int, str]]:
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True) for cmd in commands]
    results = []
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=HANG)
            results.append((proc.returncode, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def _trials(tmp_path: Path, trials: int) -> None:
    for trial in range(trials):
        data_dir = tmp_path / f"d{trial}"
        db = _fresh_db(data_dir)
        base = [*CCTUI, "--data-dir", str(data_dir)]
        results = _together([[*base, "runs"], [*base, "jobs"], [*base, "runs"]])
        assert [rc for rc, _ in results] == [0, 0, 0], (trial, results)
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _raw_trials(tmp_path: Path, trials: int) -> None:
    # No file at all: the processes race to create it, chmod it, switch it to WAL and migrate it.
    for trial in range(trials):
        db = tmp_path / f"raw{trial}" / "cctui.db"
        code = ("import asyncio; from cctui.store.db import Store\n"
                "async def main():\n"
                f"    store = await Store.open({str(db)!r})\n"
                "    await store.list_runs()\n"
                "    await store.close()\n"
                "asyncio.run(main())")
        results = _together([[sys.executable, "-c", code]] * 3)
        assert [rc for rc, _ in results] == [0, 0, 0], (trial, results)


def test_three_processes_open_a_fresh_database_at_once(tmp_path):
    _trials(tmp_path, 3)
    _raw_trials(tmp_path, 3)


@pytest.mark.slow
def test_three_processes_open_a_fresh_database_at_once_many_times(tmp_path):
    _trials(tmp_path, 20)
    _raw_trials(tmp_path, 20)


# --------------------------------------------------------------------------- a broken price list


@pytest.mark.parametrize("content", ["{not json", '{"llm": {"gpt-4.1-mini": {"input": "abc", "output": 1}}}'],
                         ids=["not-json", "string-price"])
@pytest.mark.parametrize("command", [["run", WORKFLOW, "--answers", ANSWERS, "--demo"], ["runs"]],
                         ids=["run", "runs"])
def test_a_broken_price_list_exits_with_one_error(tmp_path, content, command):
    prices = tmp_path / "prices.json"
    prices.write_text(content)
    _fresh_db(tmp_path / "data")  # so that `runs` would open the store
    proc = _cctui(tmp_path / "data", *command, env=_env(CCTUI_PRICES_FILE=str(prices)))
    line = _one_error(proc)
    assert str(prices) in line
    assert proc.returncode == 2, proc.stderr


# --------------------------------------------------------------------------- failing after the store opened


@pytest.mark.parametrize("command, expected", [
    (["run", WORKFLOW, "--answers", ANSWERS, "--demo", "--resume", "20990101-000000-nosuch"], "20990101-000000-nosuch"),
    (["export", "20990101-000000-nosuch"], "20990101-000000-nosuch"),
    (["jobs", "--fetch", "j_nosuch", "--demo"], "j_nosuch"),
], ids=["run-resume", "export", "jobs-fetch"])
def test_a_failure_after_the_store_opened_exits(tmp_path, command, expected):
    _fresh_db(tmp_path / "data")
    proc = _cctui(tmp_path / "data", *command)
    assert expected in _one_error(proc)
    assert proc.returncode == 2, proc.stderr


def test_jobs_fetch_without_a_database_is_an_error(tmp_path):
    proc = _cctui(tmp_path / "data", "jobs", "--fetch", "j_nosuch")
    assert "j_nosuch" in _one_error(proc)
    assert proc.returncode == 2


def test_the_engine_failing_to_start_closes_the_store(tmp_path):
    # Anything the engine does on start (reading the price list, say) may fail after the store is open.
    _fresh_db(tmp_path / "data")
    proc = _python(
        "import sys, cctui.engine.engine as engine\n"
        "from cctui.costs.prices import PricesError\n"
        "def boom(self, *a, **k): raise PricesError('the engine could not start')\n"
        "engine.Engine.__init__ = boom\n"
        "from cctui.cli import main\n"
        f"sys.exit(main(['--data-dir', {str(tmp_path / 'data')!r}, 'run', {WORKFLOW!r}, '--answers', {ANSWERS!r},"
        " '--demo']))")
    assert "the engine could not start" in _one_error(proc)
    assert proc.returncode == 2


def test_a_store_a_command_forgot_does_not_keep_the_process_alive(tmp_path):
    # The last line of defence in main(): a leaked connection is stopped once its loop is gone.
    _fresh_db(tmp_path / "data")
    proc = _python(
        "import sys, cctui.cli as cli\n"
        "from cctui.engine.errors import EngineError\n"
        "from cctui.store.db import Store\n"
        "kept = []\n"
        "async def leaky(settings):\n"
        "    kept.append(await Store.open(settings.db_path))\n"
        "    raise EngineError('forgot to close')\n"
        "cli._list_runs = leaky\n"
        f"sys.exit(cli.main(['--data-dir', {str(tmp_path / 'data')!r}, 'runs']))")
    assert "forgot to close" in _one_error(proc)
    assert proc.returncode == 2


# --------------------------------------------------------------------------- Store.open itself


def _workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name and t.is_alive()}


async def test_store_open_closes_the_connection_when_a_migration_fails(tmp_path, monkeypatch):
    before, opened = _workers(), set(store_db._OPENED)
    monkeypatch.setattr(store_db, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE runs (x)"])
    with pytest.raises(StoreOpenError, match="already exists"):
        await Store.open(tmp_path / "cctui.db")
    for thread in _workers() - before:
        thread.join(timeout=HANG)
    assert not _workers() - before
    assert set(store_db._OPENED) == opened
    # Nothing of the failed migration was kept: the database opens at the real schema.
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(tmp_path / "cctui.db")
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()


async def test_store_open_closes_the_connection_when_a_pragma_fails(tmp_path, monkeypatch):
    before = _workers()

    async def broken_wal(self):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "_wal", broken_wal)
    with pytest.raises(StoreOpenError, match="disk I/O"):
        await Store.open(tmp_path / "cctui.db")
    for thread in _workers() - before:
        thread.join(timeout=HANG)
    assert not _workers() - before


def test_close_leftovers_ends_only_stores_whose_loop_is_gone(tmp_path):
    async def leak() -> Store:
        return await Store.open(tmp_path / "gone.db")

    before = _workers()
    gone = asyncio.run(leak())
    loop = asyncio.new_event_loop()
    try:
        live = loop.run_until_complete(Store.open(tmp_path / "live.db"))
        assert store_db.close_leftovers() >= 1
        assert gone._db is None and live._db is not None
        loop.run_until_complete(live.close())
    finally:
        loop.close()
    for thread in _workers() - before:
        thread.join(timeout=HANG)
    assert not _workers() - before


def test_a_database_from_a_newer_cctui_is_one_clear_error(tmp_path, capsys):
    import sqlite3

    from cctui.cli import main

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = sqlite3.connect(data / "cctui.db")
    db.execute("PRAGMA user_version = 999")
    db.close()
    assert main(["--data-dir", str(data), "runs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "written by a newer cctui (schema 999); upgrade cctui" in err
    assert "Traceback" not in err


def test_a_full_database_is_one_clear_error(tmp_path, monkeypatch, capsys):
    """SQLite's own "database or disk is full", made real by capping the file at its current size."""
    from cctui.cli import main
    from cctui.store.db import Store

    real_open = Store.open.__func__

    async def capped(cls, path, *args, **kwargs):
        store = await real_open(cls, path, *args, **kwargs)
        async with store.db.execute("PRAGMA page_count") as cur:
            pages = (await cur.fetchone())[0]
        await store.db.execute(f"PRAGMA max_page_count = {pages}")
        return store

    monkeypatch.setattr(Store, "open", classmethod(capped))
    code = main(["--data-dir", str(tmp_path / "data"), "run", WORKFLOW, "--answers", ANSWERS, "--demo"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: the database could not be written (database or disk is full): free some space")
    assert "Traceback" not in err and err.count("\n") == 1
