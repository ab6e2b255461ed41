"""Typed engine events reach listeners only after the change they tell of is committed: another
connection to the database can already read it, and a change that is rolled back is never told."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cctui.engine.engine import Engine
from cctui.engine.events import (EngineEvent, InteractionWaiting, JobChanged, ModuleFailed, ModuleFinished,
                                 ModuleStarted, RunMoved, RunStarted)
from cctui.records import JobStatus
from cctui.store.db import Store
from fakes import FakeProviders


def committed_events(db: Path, run_id: str) -> list[tuple[int, str, str | None]]:
    """What another process would see: a plain sqlite3 connection, outside our transactions."""
    with sqlite3.connect(db) as con:
        return con.execute("SELECT event_id, type, module FROM events WHERE run_id = ? ORDER BY event_id",
                           (run_id,)).fetchall()


async def test_after_commit_waits_for_the_commit_and_is_dropped_by_a_rollback(tmp_path):
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        seen: list[bool] = []
        async with store.transaction():
            store.after_commit(lambda: seen.append(store.db.in_transaction))
            assert seen == []  # not yet: the transaction is open
        assert seen == [False]
        with pytest.raises(RuntimeError):
            async with store.transaction():
                store.after_commit(lambda: seen.append(True))
                raise RuntimeError("rolled back")
        assert seen == [False]
        store.after_commit(lambda: seen.append(None))  # no transaction open: each write commits itself
        assert seen == [False, None]
    finally:
        await store.close()


async def test_each_event_is_heard_once_its_change_is_readable_elsewhere(tmp_path, cc_workflow):
    db = tmp_path / "db.sqlite"
    engine = await Engine.open(db, FakeProviders(), tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    heard: list[EngineEvent] = []
    problems: list[str] = []

    def listener(event: EngineEvent) -> None:
        heard.append(event)
        if isinstance(event, RunStarted):
            return
        rows = committed_events(db, event.run_id)
        if isinstance(event, InteractionWaiting):
            if (event.interaction_id, "interaction_requested", event.module) not in rows:
                problems.append(f"{event} before its interaction was committed")
        elif isinstance(event, (ModuleStarted, ModuleFinished)):
            kind = "module_started" if isinstance(event, ModuleStarted) else "module_completed"
            if not any(t == kind and m == event.module for _i, t, m in rows):
                problems.append(f"{event} before its event row was committed")
        elif isinstance(event, JobChanged):
            with sqlite3.connect(db) as con:
                (status,) = con.execute("SELECT status FROM jobs WHERE job_id = ?", (event.job_id,)).fetchone()
            if status != event.status:
                problems.append(f"{event}: the committed job is {status}")

    engine.subscribe(listener)
    try:
        run = await engine.new_run(cc_workflow)
        await run.advance()
        for indices in ([1], [2], [0]):
            inter = await run.pending()
            await run.answer(inter.interaction_id, {"selected_indices": indices})
        inter = await run.pending()
        await run.answer(inter.interaction_id, {"text": "Biscuit"})
        inter = await run.pending()
        await run.choose(inter.interaction_id, "retry_scenes", "funnier")  # the scenes again, with feedback
        inter = await run.pending()
        await run.answer(inter.interaction_id, {"selected_indices": [0]})
        while (inter := await run.pending()) is not None and inter.kind != "media":
            await run.answer(inter.interaction_id, {"selected_indices": [0]})
        job_id = await run.sub_action(inter.interaction_id, "generate", "leonardo", {})
        await engine.services.jobs.wait([job_id], timeout=10)
    finally:
        await engine.close()
    assert problems == []
    kinds = {type(e) for e in heard}
    assert {RunStarted, ModuleStarted, ModuleFinished, InteractionWaiting, RunMoved, JobChanged} <= kinds
    assert any(isinstance(e, RunMoved) and e.module == "generate_scenes" for e in heard), \
        [e for e in heard if isinstance(e, RunMoved)]
    job_events = [e for e in heard if isinstance(e, JobChanged) and e.job_id == job_id]
    assert job_events[-1].status is JobStatus.COMPLETED


async def test_a_change_that_is_rolled_back_is_never_heard(tmp_path, cc_workflow, monkeypatch):
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    heard: list[EngineEvent] = []
    engine.subscribe(heard.append)
    try:
        run = await engine.new_run(cc_workflow)
        await run.advance()
        inter = await run.pending()
        store = engine.services.store
        real_save = store.save_run

        async def full_disk(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(store, "save_run", full_disk)
        before = len(heard)
        with pytest.raises(sqlite3.OperationalError):
            await run.answer(inter.interaction_id, {"selected_indices": [1]})
        # The module's completion was written and then rolled back with the state: not told.
        assert [e for e in heard[before:] if isinstance(e, (ModuleFinished, ModuleFailed))] == []
        assert not any(t == "module_completed" for _i, t, _m in committed_events(tmp_path / "db.sqlite", run.run_id))
        monkeypatch.setattr(store, "save_run", real_save)
    finally:
        await engine.close()
