"""The one class over aiosqlite: runs, events, state, content and jobs.

Rows become frozen records (`cctui.records`, JSON columns decoded) at this boundary. Writes that belong together
(an event, the state it produced and the run's position) go in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import sqlite3
import time
import uuid
import weakref
from pathlib import Path
from typing import Any

import aiosqlite

from cctui.errors import CctuiError
from cctui.records import (FINAL_JOB_STATUSES, ContentRecord, EventRecord, JobRecord, JobStatus, RunListing,
                           RunRecord, RunStatus)
from cctui.store.migrations import MIGRATIONS

BUSY_SECONDS = 5.0  # how long a statement waits for another process's lock before giving up

_JSON_COLUMNS = {"state", "position", "data", "metadata", "request"}
# The final statuses, as SQL: jobs that nothing follows any more.
_FINAL_SQL = ", ".join(f"'{status.value}'" for status in sorted(FINAL_JOB_STATUSES))

# One connection is shared by the engine and the job workers. A transaction must not swallow
# another task's write (a job row must be committed before its paid request goes out), so every
# write takes the lock, except writes made inside the transaction that already holds it.
_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("cctui_in_tx", default=False)
# What to do once the open transaction commits (tell listeners); dropped if it rolls back.
_after_commit: contextvars.ContextVar[list | None] = contextvars.ContextVar("cctui_after_commit", default=None)


# Stores open in this process, for `close_leftovers` (the last line of defence at exit).
_OPENED: "weakref.WeakSet[Store]" = weakref.WeakSet()


def close_leftovers() -> int:
    """End the connections of stores whose event loop has closed (nothing can close them any more,
    and their threads would keep the process alive); how many there were. Stores of a loop that
    still runs, in this thread or another, are left alone."""
    leftovers = [store for store in list(_OPENED) if store._loop is not None and store._loop.is_closed()]
    for store in leftovers:
        store.abandon()
    return len(leftovers)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class NewerStoreError(CctuiError):
    """The database is from a newer cctui: reading it could lose what that version wrote."""


class StoreOpenError(CctuiError):
    """The database file could not be opened or set up (not a file, no permission, a full disk,
    not an SQLite database)."""


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def open(cls, path: Path) -> "Store":
        store = cls(path)
        try:
            await store._connect()
        except BaseException as exc:
            # aiosqlite's thread is not a daemon: a connection left open keeps the process alive.
            with contextlib.suppress(Exception):
                await store.close()
            if isinstance(exc, (sqlite3.Error, OSError)) and not isinstance(exc, CctuiError):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise StoreOpenError(
                    f"cannot open the database {store.path} ({reason}): check that {store.path.parent} is a "
                    "folder you can write to and that nothing else replaced the file, or choose another data "
                    "folder with --data-dir or CCTUI_DATA_DIR") from None
            raise
        store._loop = asyncio.get_running_loop()
        _OPENED.add(store)
        return store

    async def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = not self.path.exists()
        # Other cctui processes may hold the database: wait for their locks instead of failing.
        self._db = await aiosqlite.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS)
        await self._db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        if fresh:
            os.chmod(self.path, 0o600)
        self._db.row_factory = aiosqlite.Row
        await self._wal()
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()

    async def _wal(self) -> None:
        # Switching a fresh file to WAL needs it to itself for a moment; a second process opening
        # it then can be refused without the busy handler ever being asked, so try again briefly.
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                await self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.05)

    async def _migrate(self) -> None:
        if await self.schema_version() == len(MIGRATIONS):
            return
        # Check and apply under one write lock: a process that opened the fresh file at the same
        # time waits here, then reads the version again and finds the work done.
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            version = await self.schema_version()
            if version > len(MIGRATIONS):
                raise NewerStoreError(f"{self.path} was written by a newer cctui (schema {version}); "
                                      "upgrade cctui, or choose another data folder with --data-dir")
            for number in range(version, len(MIGRATIONS)):
                for statement in filter(str.strip, MIGRATIONS[number].split(";")):
                    await self.db.execute(statement)
                await self.db.execute(f"PRAGMA user_version={number + 1}")
            await self.db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await self.db.execute("ROLLBACK")
            raise

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is closed")
        return self._db

    async def close(self) -> None:
        db, self._db = self._db, None
        _OPENED.discard(self)
        if db is not None:
            try:
                await db.close()
            except BaseException:
                db.stop()  # the thread must end even when closing the sqlite connection failed
                raise

    def abandon(self) -> None:
        """Close the connection and end its thread once the loop that opened it is gone (no loop
        may be running). A loop of its own receives the answer: the dead one would raise in the thread."""
        db, self._db = self._db, None
        _OPENED.discard(self)
        if db is None:
            return
        loop = asyncio.new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            stopped = db.stop()
            if stopped is not None:
                loop.run_until_complete(asyncio.wait_for(stopped, BUSY_SECONDS))
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            return (await cur.fetchone())[0]

    # ------------------------------------------------------------------ transactions

    @contextlib.asynccontextmanager
    async def transaction(self):
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            pending: list = []
            pending_token = _after_commit.set(pending)
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    # SQLite has already rolled back after some errors (a full disk): a second
                    # ROLLBACK would fail and hide the error that matters.
                    if self.db.in_transaction:
                        await self.db.execute("ROLLBACK")
                    raise
                try:
                    await self.db.execute("COMMIT")
                except BaseException:
                    if self.db.in_transaction:  # a failed COMMIT can leave it open
                        await self.db.execute("ROLLBACK")
                    raise
            finally:
                _in_transaction.reset(token)
                _after_commit.reset(pending_token)
        for callback in pending:
            callback()

    def after_commit(self, callback) -> None:
        """Call `callback()` once what has been written is committed: at the end of the open
        transaction, or now when there is none (each write outside one commits by itself)."""
        pending = _after_commit.get()
        if _in_transaction.get() and pending is not None:
            pending.append(callback)
        else:
            callback()

    async def _write(self, sql: str, args: tuple | list = ()) -> aiosqlite.Cursor:
        if _in_transaction.get():
            return await self.db.execute(sql, args)
        async with self._lock:
            return await self.db.execute(sql, args)

    # ------------------------------------------------------------------ runs

    async def create_run(self, workflow_id: str, workflow_dir: str, state: dict, position: dict) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        now = time.time()
        await self._write(
            "INSERT INTO runs(run_id, workflow_id, workflow_dir, status, state, position, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, workflow_id, workflow_dir, RunStatus.RUNNING.value, _dumps(state), _dumps(position), now, now),
        )
        return run_id

    async def get_run(self, run_id: str) -> RunRecord | None:
        return await self._one(RunRecord, "SELECT * FROM runs WHERE run_id = ?", (run_id,))

    async def list_runs(self, limit: int = 200) -> list[RunRecord]:
        return await self._all(RunRecord, "SELECT * FROM runs ORDER BY updated_at DESC LIMIT ?", (limit,))

    async def run_listings(self, limit: int | None = None, offset: int = 0) -> list[RunListing]:
        """Runs newest first, without their state (from the `runs_listed` index alone); all of
        them when `limit` is None."""
        return await self._all(RunListing, "SELECT run_id, workflow_id, workflow_dir, status, position, updated_at "
                               "FROM runs INDEXED BY runs_listed ORDER BY updated_at DESC LIMIT ? OFFSET ?",
                               (-1 if limit is None else limit, offset))

    async def count_runs(self) -> int:
        async with self.db.execute("SELECT COUNT(*) FROM runs") as cur:
            return (await cur.fetchone())[0]

    async def save_run(self, run_id: str, *, state: dict, position: dict, status: RunStatus, branch: int,
                       error: str | None = None) -> None:
        await self._write(
            "UPDATE runs SET state = ?, position = ?, status = ?, branch = ?, error = ?, updated_at = ?"
            " WHERE run_id = ?",
            (_dumps(state), _dumps(position), RunStatus(status).value, branch, error, time.time(), run_id),
        )

    # ------------------------------------------------------------------ events

    async def add_event(self, run_id: str, type_: str, branch: int, data: dict | None = None,
                        step_id: str | None = None, module: str | None = None) -> int:
        cur = await self._write(
            "INSERT INTO events(run_id, type, step_id, module, branch, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, type_, step_id, module, branch, _dumps(data or {}), time.time()),
        )
        return cur.lastrowid

    async def get_event(self, event_id: int) -> EventRecord | None:
        return await self._one(EventRecord, "SELECT * FROM events WHERE event_id = ?", (event_id,))

    async def events(self, run_id: str, types: tuple[str, ...] | None = None) -> list[EventRecord]:
        sql = "SELECT * FROM events WHERE run_id = ?"
        args: list[Any] = [run_id]
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            args.extend(types)
        return await self._all(EventRecord, sql + " ORDER BY event_id", args)

    async def last_event(self, run_id: str, type_: str, step_id: str, module: str,
                         branch: int | None = None) -> EventRecord | None:
        sql = "SELECT * FROM events WHERE run_id = ? AND type = ? AND step_id = ? AND module = ?"
        args: list[Any] = [run_id, type_, step_id, module]
        if branch is not None:
            sql += " AND branch = ?"
            args.append(branch)
        return await self._one(EventRecord, sql + " ORDER BY event_id DESC LIMIT 1", args)

    # ------------------------------------------------------------------ content

    async def add_content(self, *, run_id: str, kind: str, provider: str, local_path: str | None,
                          url: str | None, prompt_key: str | None, metadata: dict, job_id: str | None = None,
                          interaction_id: int | None = None, step_id: str | None = None,
                          module: str | None = None) -> str:
        content_id = "c_" + uuid.uuid4().hex[:12]
        await self._write(
            "INSERT INTO content(content_id, run_id, job_id, interaction_id, step_id, module, kind, provider,"
            " local_path, url, prompt_key, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (content_id, run_id, job_id, interaction_id, step_id, module, kind, provider, local_path, url,
             prompt_key, _dumps(metadata), time.time()),
        )
        return content_id

    async def content_for(self, run_id: str, step_id: str, module: str) -> list[ContentRecord]:
        return await self._all(
            ContentRecord,
            "SELECT * FROM content WHERE run_id = ? AND step_id = ? AND module = ? ORDER BY created_at, rowid",
            (run_id, step_id, module))

    async def content_of_run(self, run_id: str) -> list[ContentRecord]:
        return await self._all(ContentRecord, "SELECT * FROM content WHERE run_id = ? ORDER BY rowid", (run_id,))

    # ------------------------------------------------------------------ jobs

    @staticmethod
    def new_job_id() -> str:
        return "j_" + uuid.uuid4().hex[:12]

    async def create_job(self, *, job_id: str | None = None, run_id: str, interaction_id: int | None, step_id: str | None,
                         module: str | None, provider: str, action: str, prompt_key: str | None,
                         request: dict) -> str:
        job_id = job_id or self.new_job_id()
        now = time.time()
        await self._write(
            "INSERT INTO jobs(job_id, run_id, interaction_id, step_id, module, provider, action, prompt_key,"
            " request, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job_id, run_id, interaction_id, step_id, module, provider, action, prompt_key, _dumps(request),
             JobStatus.SUBMITTING.value, now, now),
        )
        return job_id

    async def update_job(self, job_id: str, **fields: Any) -> None:
        if not fields:
            return
        fields["updated_at"] = time.time()
        for key in _JSON_COLUMNS & fields.keys():
            fields[key] = _dumps(fields[key])
        if "status" in fields:
            fields["status"] = JobStatus(fields["status"]).value
        cols = ", ".join(f"{k} = ?" for k in fields)
        await self._write(f"UPDATE jobs SET {cols} WHERE job_id = ?", (*fields.values(), job_id))

    async def get_job(self, job_id: str) -> JobRecord | None:
        return await self._one(JobRecord, "SELECT * FROM jobs WHERE job_id = ?", (job_id,))

    async def jobs_for_interaction(self, run_id: str, interaction_id: int) -> list[JobRecord]:
        return await self._all(JobRecord, "SELECT * FROM jobs WHERE run_id = ? AND interaction_id = ?"
                                          " ORDER BY created_at, rowid", (run_id, interaction_id))

    async def jobs_for_module(self, run_id: str, step_id: str, module: str) -> list[JobRecord]:
        return await self._all(JobRecord, "SELECT * FROM jobs WHERE run_id = ? AND step_id = ? AND module = ?"
                                          " ORDER BY created_at, rowid", (run_id, step_id, module))

    async def unfinished_jobs(self, run_id: str | None = None) -> list[JobRecord]:
        sql = f"SELECT * FROM jobs WHERE status NOT IN ({_FINAL_SQL})"
        args: tuple = ()
        if run_id:
            sql += " AND run_id = ?"
            args = (run_id,)
        return await self._all(JobRecord, sql + " ORDER BY created_at", args)

    async def known_provider_job_ids(self, provider: str) -> set[str]:
        """Every provider job id cctui holds for `provider`, now or from an earlier submit of a
        job (the ledger keeps those): a lost answer must never be matched to one of them."""
        sql = ("SELECT provider_job_id FROM jobs WHERE provider = ? AND provider_job_id IS NOT NULL"
               " UNION SELECT provider_job_id FROM costs WHERE provider = ? AND provider_job_id IS NOT NULL")
        async with self.db.execute(sql, (provider, provider)) as cur:
            return {row[0] for row in await cur.fetchall()}

    async def list_jobs_by_status(self, status: JobStatus) -> list[JobRecord]:
        return await self._all(JobRecord, "SELECT * FROM jobs WHERE status = ? ORDER BY created_at",
                               (JobStatus(status).value,))

    async def jobs_of_run(self, run_id: str) -> list[JobRecord]:
        return await self._all(JobRecord, "SELECT * FROM jobs WHERE run_id = ? ORDER BY created_at, rowid", (run_id,))

    # ------------------------------------------------------------------ keyword memory

    async def keywords(self, workflow_id: str) -> list[dict[str, Any]]:
        """Every keyword remembered for the workflow, as documents: keyword, weight, last_used and
        the fields last written with it."""
        async with self.db.execute("SELECT keyword, weight, fields, last_used FROM weighted_keywords"
                                   " WHERE workflow_id = ? ORDER BY keyword", (workflow_id,)) as cur:
            rows = await cur.fetchall()
        return [{**json.loads(row["fields"]), "keyword": row["keyword"], "weight": row["weight"],
                 "last_used": row["last_used"]} for row in rows]

    async def save_keywords(self, workflow_id: str, items: list[tuple[str, float, dict[str, Any]]], *,
                            accumulate: bool) -> int:
        """Upsert (keyword, weight, other fields) for the workflow in one transaction: the weight
        is added to the stored one when accumulating, else it replaces it; the fields are merged."""
        now = time.time()
        async with self.transaction():
            for keyword, weight, fields in items:
                async with self.db.execute("SELECT weight, fields FROM weighted_keywords WHERE workflow_id = ?"
                                           " AND keyword = ?", (workflow_id, keyword)) as cur:
                    row = await cur.fetchone()
                if row is not None:
                    weight = row["weight"] + weight if accumulate else weight
                    fields = {**json.loads(row["fields"]), **fields}
                await self._write("INSERT OR REPLACE INTO weighted_keywords(workflow_id, keyword, weight, fields,"
                                  " last_used) VALUES (?, ?, ?, ?, ?)",
                                  (workflow_id, keyword, weight, _dumps(fields), now))
        return len(items)

    # ------------------------------------------------------------------ a run's own files

    async def add_workflow_file(self, *, run_id: str, branch: int, step_id: str, module: str, category: str,
                                group_id: str, filename: str, content_type: str, content: str) -> str:
        file_id = uuid.uuid4().hex
        await self._write("INSERT INTO workflow_files(file_id, run_id, branch, step_id, module, category, group_id,"
                          " filename, content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (file_id, run_id, branch, step_id, module, category, group_id, filename, content_type,
                           content, time.time()))
        return file_id

    async def workflow_files(self, run_id: str, category: str, group_id: str, filename: str) -> list[dict[str, Any]]:
        """Every version of one file of the run, newest first, whatever branch wrote it."""
        async with self.db.execute("SELECT * FROM workflow_files WHERE run_id = ? AND category = ? AND group_id = ?"
                                   " AND filename = ? ORDER BY rowid DESC",
                                   (run_id, category, group_id, filename)) as cur:
            return [dict(row) for row in await cur.fetchall()]

    # ------------------------------------------------------------------ reading records

    async def _one(self, record, sql: str, args: tuple | list = ()):
        async with self.db.execute(sql, args) as cur:
            row = await cur.fetchone()
        return None if row is None else record.from_row(row)

    async def _all(self, record, sql: str, args: tuple | list = ()) -> list:
        async with self.db.execute(sql, args) as cur:
            return [record.from_row(row) for row in await cur.fetchall()]
