"""One driving process per run: the run lease (`cctui.store.lease`), and what it keeps from paying twice.

- The lease itself, on the real SQLite store: taken, refused while a live process holds it, taken
  over at once from a dead (SIGKILLed) process, kept alive by its heartbeat, given back.
- Two `cctui run ... --resume R` started together against the stand-in: one drives the run, the
  other exits non-zero saying who drives it; every paid generation is submitted once.
- The app opened on a run a batch process is driving: it neither adopts nor follows that run's
  jobs (no second content row, nothing more asked of the stand-in) and says who drives it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cctui.batch import BatchRunner, load_answers
from cctui.engine.engine import Engine
from cctui.engine.errors import EngineError, RunBusyError
from cctui.store.db import Store
from cctui.store.lease import LeaseHeld, RunLeases, pid_alive
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.crash.harness
sys.path.insert(0, str(ROOT / "tests" / "ui"))  # app_harness

from tests.crash.harness import (EXAMPLE_ANSWERS, PAID_PATHS, WORKFLOW, Cctui, StandInProc,  # noqa: E402
                                 db_rows, run_ids)

HOLD_SCRIPT = """
import asyncio, sys
from pathlib import Path
from cctui.store.db import Store
from cctui.store.lease import RunLeases

async def main():
    store = await Store.open(Path(sys.argv[1]))
    leases = RunLeases(store, heartbeat_every=0.2)
    await leases.acquire(sys.argv[2])
    print("HELD", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
    await leases.close()
    await store.close()

asyncio.run(main())
"""


class Holder:
    """A separate process that takes a run's lease and sleeps holding it (like a batch run driving it)."""

    def __init__(self, db_path: Path, run_id: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, str(db_path), run_id], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line == "HELD", f"the holder did not take the lease: {line!r}"
        self.pid = self.proc.pid

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        return self.proc.returncode


async def new_store(tmp_path: Path) -> tuple[Store, str]:
    store = await Store.open(tmp_path / "cctui.db")
    run_id = await store.create_run("wf", str(tmp_path), {}, {"step": 0, "module": 0})
    return store, run_id


async def lease_row(store: Store, run_id: str) -> dict | None:
    async with store.db.execute("SELECT * FROM run_leases WHERE run_id = ?", (run_id,)) as cur:
        row = await cur.fetchone()
    return dict(row) if row is not None else None


# --------------------------------------------------------------------------- the lease


async def test_take_keep_and_release(tmp_path):
    store, run_id = await new_store(tmp_path)
    leases = RunLeases(store)
    info = await leases.acquire(run_id)
    row = await lease_row(store, run_id)
    assert row["holder"] == leases.holder and row["pid"] == os.getpid() and row["host"] == socket.gethostname()
    assert info.pid == os.getpid() and leases.held() == {run_id}
    assert (await leases.acquire(run_id)).acquired_at == row["acquired_at"]  # ours already: kept, not retaken
    await leases.release(run_id)
    assert await lease_row(store, run_id) is None and leases.held() == set()
    await leases.acquire(run_id)
    await leases.close()  # close gives back every lease held
    assert await lease_row(store, run_id) is None
    await store.close()


async def test_refused_while_a_live_process_holds_it_and_taken_over_once_it_is_killed(tmp_path):
    store, run_id = await new_store(tmp_path)
    holder = Holder(store.path, run_id)
    leases = RunLeases(store)
    try:
        with pytest.raises(LeaseHeld) as info:
            await leases.acquire(run_id)
        assert info.value.info.pid == holder.pid and info.value.info.host == socket.gethostname()
        assert f"is being driven by process {holder.pid} on {socket.gethostname()}" in str(info.value)
        assert leases.held() == set()
        # SIGKILL never releases: the next process takes over at once (same host, dead pid).
        holder.kill()
        assert not pid_alive(holder.pid)
        started = time.monotonic()
        await leases.acquire(run_id)
        assert time.monotonic() - started < 2
        assert (await lease_row(store, run_id))["holder"] == leases.holder
    finally:
        holder.kill()
        await leases.close()
        await store.close()


async def test_a_lease_given_back_on_exit_is_free(tmp_path):
    store, run_id = await new_store(tmp_path)
    holder = Holder(store.path, run_id)
    assert holder.stop() == 0
    assert await lease_row(store, run_id) is None
    await store.close()


async def test_dead_zombie_reused_pid_and_other_hosts(tmp_path):
    store, run_id = await new_store(tmp_path)
    leases = RunLeases(store, stale_after=30)
    now = time.time()

    async def plant(holder: str, pid: int, host: str, heartbeat_at: float) -> None:
        await store._write("DELETE FROM run_leases WHERE run_id = ?", (run_id,))
        await store._write("INSERT INTO run_leases VALUES (?, ?, ?, ?, ?, ?)",
                           (run_id, holder, pid, host, now - 100, heartbeat_at))

    # A process that has ended but was not reaped yet (a zombie) drives nothing.
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(200):
        if not pid_alive(zombie.pid):
            break
        await asyncio.sleep(0.02)
    await plant("zombie", zombie.pid, leases.host, now)
    await leases.acquire(run_id)
    zombie.wait()
    await leases.release(run_id)

    # A live pid that is no longer the process that took the lease (its start time differs).
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        await plant("someone@1", sleeper.pid, leases.host, now)
        await leases.acquire(run_id)
        await leases.release(run_id)
        await plant("someone", sleeper.pid, leases.host, now - 3600)  # same host, live pid: the heartbeat is no excuse
        with pytest.raises(LeaseHeld):
            await leases.acquire(run_id)
    finally:
        sleeper.kill()
        sleeper.wait()

    # Another host: alive while its heartbeat is fresh, gone after `stale_after`.
    await plant("far", 1, "another-host", now - 5)
    with pytest.raises(LeaseHeld):
        await leases.acquire(run_id)
    await plant("far", 1, "another-host", now - 31)
    await leases.acquire(run_id)
    await leases.close()

    # Another lease object of this very process that is still open is a live holder too.
    first, second = RunLeases(store), RunLeases(store)
    await first.acquire(run_id)
    with pytest.raises(LeaseHeld):
        await second.acquire(run_id)
    await first.close()
    await second.acquire(run_id)
    await second.close()
    await store.close()


async def test_heartbeat_refreshes_and_notices_a_lost_lease(tmp_path):
    store, run_id = await new_store(tmp_path)
    other = await store.create_run("wf", str(tmp_path), {}, {"step": 0, "module": 0})
    lost: list[str] = []
    leases = RunLeases(store, heartbeat_every=0.05, on_lost=lost.append)
    await leases.acquire(run_id)
    await leases.acquire(other)
    await store._write("UPDATE run_leases SET heartbeat_at = 0")
    for _ in range(100):
        rows = [await lease_row(store, r) for r in (run_id, other)]
        if all(r["heartbeat_at"] > 0 for r in rows):
            break
        await asyncio.sleep(0.02)
    assert all(r["heartbeat_at"] > time.time() - 5 for r in rows), rows
    # Taken over by another host after a long silence: this process stops counting it as its own.
    await store._write("UPDATE run_leases SET holder = 'far', host = 'another-host' WHERE run_id = ?", (other,))
    for _ in range(100):
        if lost:
            break
        await asyncio.sleep(0.02)
    assert lost == [other] and leases.held() == {run_id}
    await leases.close()
    assert await lease_row(store, run_id) is None and (await lease_row(store, other))["holder"] == "far"
    await store.close()


# --------------------------------------------------------------------------- the engine


async def test_the_engine_drives_only_runs_whose_lease_it_holds(tmp_path, cc_workflow):
    providers = FakeProviders()
    engine = await Engine.open(tmp_path / "cctui.db", providers, tmp_path / "runs")
    run = await engine.new_run(cc_workflow)  # a new run is leased at once
    assert (await lease_row(engine.services.store, run.run_id))["holder"] == engine.leases.holder
    # A job whose request may be on its way in the process that drives the run.
    job_id = await engine.services.store.create_job(run_id=run.run_id, interaction_id=None, step_id="s",
                                                    module="m", provider="leonardo", action="txt2img",
                                                    prompt_key="leonardo",
                                                    request={"action": "txt2img", "provider": "leonardo",
                                                             "params": {"prompt": "a cat"}})
    await engine.close()  # gives the lease back
    db = tmp_path / "cctui.db"
    holder = Holder(db, run.run_id)
    try:
        engine = await Engine.open(db, providers, tmp_path / "runs")
        with pytest.raises(RunBusyError) as info:
            await engine.open_run(run.run_id)
        message = str(info.value)
        assert isinstance(info.value, EngineError)
        assert f"run {run.run_id} is being driven by process {holder.pid} on {socket.gethostname()} (since " in message
        assert "wait for it to finish or stop it" in message
        # Its jobs are the other process's: not marked unknown, not followed here.
        assert (await engine.services.store.get_job(job_id)).status == "submitting"
        assert engine.services.jobs.running() == [] and providers.submits() == 0
        await engine.close()
    finally:
        holder.kill()
    engine = await Engine.open(db, providers, tmp_path / "runs")
    await engine.open_run(run.run_id)  # the holder was killed: taken over at once
    assert (await engine.services.store.get_job(job_id)).status == "unknown"
    await engine.close()


async def test_batch_resume_refused_while_another_engine_drives_the_run(tmp_path, cc_workflow):
    providers = FakeProviders()
    db = tmp_path / "cctui.db"
    first = await Engine.open(db, providers, tmp_path / "runs")
    run = await first.new_run(cc_workflow)
    second = await Engine.open(db, providers, tmp_path / "runs")
    with pytest.raises(RunBusyError, match=f"process {os.getpid()}"):
        await BatchRunner(second, load_answers(EXAMPLE_ANSWERS), out=lambda s: None).resume(run.run_id)
    await second.close()
    await first.close()


# --------------------------------------------------------------------------- processes and the stand-in


ENV = {"CRASH_MIN_POLL": "0.2"}


def partial_answers(tmp_path: Path) -> Path:
    """The example answers up to the scene: a run stopped there, before any paid generation."""
    data = json.loads(EXAMPLE_ANSWERS.read_text())
    keep = ("select_pet_type", "select_aesthetic", "select_duration", "get_user_direction")
    path = tmp_path / "answers-partial.json"
    path.write_text(json.dumps({k: data[k] for k in keep}))
    return path


def stopped_run(cctui: Cctui, tmp_path: Path) -> str:
    result = cctui.run(["run", str(WORKFLOW), "--answers", str(partial_answers(tmp_path))], timeout=120)
    assert result.code == 2 and "no answer for module 'select_scene'" in result.stderr, result.stderr
    (run_id,) = run_ids(cctui.data_dir)
    return run_id


def paid(accepted: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {path: accepted.get(path, 0) - before.get(path, 0) for path in sorted(set(PAID_PATHS.values()))}


def test_two_resumes_of_one_run_started_together_pay_once(tmp_path):
    with StandInProc(tmp_path / "standin", job_seconds=1.0) as standin:
        cctui = Cctui(tmp_path / "data", standin.url, extra_env=ENV)
        run_id = stopped_run(cctui, tmp_path)
        before = standin.accepted()
        args = ["run", str(WORKFLOW), "--answers", str(EXAMPLE_ANSWERS), "--resume", run_id]
        procs = [cctui.start(args), cctui.start(args)]
        results = [p.wait(300) for p in procs]
        codes = [r.code for r in results]
        assert sorted(c == 0 for c in codes) == [False, True], [(r.code, r.stderr[-1500:]) for r in results]
        winner = codes.index(0)
        loser, driver = results[1 - winner], procs[winner]
        assert loser.code != 0 and "Traceback" not in loser.stderr
        assert (f"run {run_id} is being driven by process {driver.proc.pid} on {socket.gethostname()} (since "
                in loser.stderr), loser.stderr
        assert "wait for it to finish or stop it" in loser.stderr
        assert f"completed run {run_id}" in results[winner].stdout
        # Every paid generation of the answers submitted once: images, videos, music.
        assert paid(standin.accepted(), before) == {path: 1 for path in sorted(set(PAID_PATHS.values()))}
    events = db_rows(cctui.data_dir, "SELECT type FROM events WHERE run_id = ? AND type = 'run_completed'",
                     (run_id,))
    assert len(events) == 1
    doubled = db_rows(cctui.data_dir, "SELECT job_id, count(*) AS n FROM content WHERE job_id IS NOT NULL"
                                      " GROUP BY job_id HAVING n > 1")
    assert doubled == []
    assert db_rows(cctui.data_dir, "SELECT * FROM run_leases") == []  # given back on exit


@pytest.mark.slow
async def test_the_app_does_not_adopt_the_jobs_of_a_run_a_batch_process_drives(tmp_path):
    from app_harness import TestApp, wait_for
    from cctui.settings import load_settings
    from cctui.ui.screens.run_screen import RunScreen
    from cctui.ui.screens.runs_screen import RunsScreen

    standin = StandInProc(tmp_path / "standin", job_seconds=3.0).start()
    batch = None
    try:
        cctui = Cctui(tmp_path / "data", standin.url, extra_env=ENV)
        run_id = await asyncio.to_thread(stopped_run, cctui, tmp_path)
        before = standin.accepted()
        batch = cctui.start(["run", str(WORKFLOW), "--answers", str(EXAMPLE_ANSWERS), "--resume", run_id])
        # Wait until the batch process follows its video generations (paid, not finished yet).
        deadline = time.monotonic() + 120
        while not db_rows(cctui.data_dir, "SELECT job_id FROM jobs WHERE action = 'img2vid'"
                                          " AND status IN ('submitted', 'running')"):
            assert batch.alive(), batch.err.read_text()[-2000:]
            assert time.monotonic() < deadline, "the batch run never reached its video generations"
            await asyncio.sleep(0.05)

        settings = load_settings(env=cctui.env(), config_file=tmp_path / "none.toml", data_dir=cctui.data_dir,
                                 image_protocol="halfcell")
        app = TestApp(settings, workflow_dir=WORKFLOW)  # real providers, pointed at the stand-in
        notes: list[tuple[str, dict]] = []
        notify = app.notify
        app.notify = lambda message, **kw: (notes.append((str(message), kw)), notify(message, **kw))[1]
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                           and app.screen.query_one("DataTable").row_count == 1)
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("is being driven by process" in m for m, _ in notes))
            # Stay open until the batch run is done: adopted jobs would be followed and finished here.
            await wait_for(pilot, lambda: not batch.alive(), timeout=240)
            await pilot.pause(0.5)
            assert not any(isinstance(s, RunScreen) for s in app.screen_stack)
            assert app.engine.services.jobs.running() == []
        (message, kw), = [n for n in notes if "is being driven by process" in n[0]]
        assert f"run {run_id} is being driven by process {batch.proc.pid} on {socket.gethostname()}" in message
        assert kw.get("severity") in ("warning", "error")
        result = batch.wait(10)
        assert result.code == 0, result.stderr[-2000:]
        assert paid(standin.accepted(), before) == {path: 1 for path in sorted(set(PAID_PATHS.values()))}
    finally:
        if batch is not None and batch.alive():
            batch.kill()
        standin.stop()
    doubled = db_rows(cctui.data_dir, "SELECT job_id, count(*) AS n FROM content WHERE job_id IS NOT NULL"
                                      " GROUP BY job_id HAVING n > 1")
    assert doubled == []
    states = db_rows(cctui.data_dir, "SELECT status, count(*) AS n FROM jobs GROUP BY status")
    assert {r["status"] for r in states} == {"completed"}, states
