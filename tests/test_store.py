from __future__ import annotations

import stat

from cctui.store.db import Store
from cctui.store.migrations import MIGRATIONS


async def test_store_is_wal_versioned_and_private(tmp_path):
    store = await Store.open(tmp_path / "data" / "cctui.db")
    assert await store.schema_version() == len(MIGRATIONS)
    async with store.db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    assert stat.S_IMODE((tmp_path / "data" / "cctui.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    await store.close()
    # Opening again does not re-run migrations.
    store = await Store.open(tmp_path / "data" / "cctui.db")
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path):
    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    try:
        async with store.transaction():
            await store.add_event(run_id, "x", 0, {})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert await store.events(run_id) == []
    await store.close()


async def test_a_job_row_is_committed_even_while_another_task_holds_a_transaction(tmp_path):
    import asyncio

    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    entered = asyncio.Event()
    release = asyncio.Event()

    async def long_transaction():
        async with store.transaction():
            await store.add_event(run_id, "x", 0, {})
            entered.set()
            await release.wait()

    task = asyncio.create_task(long_transaction())
    await entered.wait()
    job_task = asyncio.create_task(store.create_job(run_id=run_id, interaction_id=None, step_id=None, module=None,
                                                    provider="p", action="a", prompt_key=None, request={}))
    await asyncio.sleep(0.05)
    assert not job_task.done()  # waits for the transaction instead of joining it
    release.set()
    await task
    job_id = await job_task
    other = await Store.open(tmp_path / "db")  # a second connection sees it committed
    assert (await other.get_job(job_id)).status == "submitting"
    await other.close()
    await store.close()
