"""One driving process per run: a lease row in `run_leases`, taken atomically, kept alive, released.

Only the holder of a run's lease may drive it (advance it, start its paid jobs, follow them
again after a restart). Two processes on one run would otherwise pay for every generation twice.

- Taking a lease is one `BEGIN IMMEDIATE` transaction: read the row, then insert it, keep it
  (it is ours), take it over (its holder is gone) or refuse (its holder is alive).
- The holder is gone when, on this host, its pid is not running (a SIGKILLed process never
  releases, and the next process takes over at once), is a zombie, or now belongs to another
  process (the start time recorded in the holder id differs); on another host, when its heartbeat
  is older than `stale_after` seconds.
- A heartbeat task refreshes `heartbeat_at` every `heartbeat_every` seconds; `close()` deletes
  every lease this object holds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from cctui.store.db import Store

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds between heartbeats
STALE_AFTER = 30.0  # a holder on another host is gone after this long without a heartbeat

# Lease objects of this process that have not been closed, by holder id: a lease row with this
# process's pid is alive only if its holder is one of them (otherwise it was left by an object
# that is gone, or by an earlier process that had the same pid).
_LIVE: "weakref.WeakValueDictionary[str, RunLeases]" = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class LeaseInfo:
    run_id: str
    holder: str
    pid: int
    host: str
    acquired_at: float
    heartbeat_at: float

    @classmethod
    def from_row(cls, row: Any) -> "LeaseInfo":
        return cls(row["run_id"], row["holder"], int(row["pid"]), row["host"], float(row["acquired_at"]),
                   float(row["heartbeat_at"]))

    def since(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.acquired_at))

    def describe(self) -> str:
        """`process 1234 on HOST (since 2026-11-20 10:15:00)`."""
        return f"process {self.pid} on {self.host} (since {self.since()})"


class LeaseHeld(Exception):
    """Another live process holds the run's lease."""

    def __init__(self, info: LeaseInfo):
        super().__init__(f"run {info.run_id} is being driven by {info.describe()}")
        self.info = info


# --------------------------------------------------------------------------- processes


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks after boot (Linux), to tell a reused pid apart."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: running
    except OSError:
        return False
    fields = _proc_stat(pid)
    return not (fields and fields[0] in ("Z", "X"))  # a zombie has ended: it drives nothing


def _new_holder() -> str:
    start = process_start(os.getpid())
    return uuid.uuid4().hex + (f"@{start}" if start else "")


# --------------------------------------------------------------------------- leases


class RunLeases:
    """The run leases one process (one engine) holds in one store."""

    def __init__(self, store: Store, *, heartbeat_every: float = HEARTBEAT_EVERY,
                 stale_after: float = STALE_AFTER, host: str | None = None,
                 on_lost: Callable[[str], Any] | None = None):
        self.store = store
        self.heartbeat_every = heartbeat_every
        self.stale_after = stale_after
        self.host = host or socket.gethostname()
        self.pid = os.getpid()
        self.holder = _new_holder()
        self.on_lost = on_lost
        self._held: set[str] = set()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        _LIVE[self.holder] = self

    def held(self) -> set[str]:
        return set(self._held)

    # ------------------------------------------------------------------ who holds what

    async def holder_of(self, run_id: str) -> LeaseInfo | None:
        async with self.store.db.execute("SELECT * FROM run_leases WHERE run_id = ?", (run_id,)) as cur:
            row = await cur.fetchone()
        return LeaseInfo.from_row(row) if row is not None else None

    def is_gone(self, info: LeaseInfo, now: float | None = None) -> bool:
        """Whether the process holding `info` can no longer drive the run."""
        now = time.time() if now is None else now
        if info.holder == self.holder:
            return False
        if info.host != self.host:
            return now - info.heartbeat_at > self.stale_after
        if info.pid == self.pid:
            other = _LIVE.get(info.holder)
            return other is None or not other._alive()
        if not pid_alive(info.pid):
            return True
        recorded = info.holder.partition("@")[2]
        current = process_start(info.pid)
        return bool(recorded and current and recorded != current)  # the pid now belongs to another process

    def _alive(self) -> bool:
        if self._closed:
            return False
        return self._loop is None or not self._loop.is_closed()

    # ------------------------------------------------------------------ take, keep, give back

    async def acquire(self, run_id: str) -> LeaseInfo:
        """Take the run's lease (or keep it, if it is ours); raise `LeaseHeld` if a live process has it."""
        if self._closed:
            raise RuntimeError("the run leases are closed")
        now = time.time()
        async with self.store.transaction():
            current = await self.holder_of(run_id)
            if current is None:
                await self.store._write(
                    "INSERT INTO run_leases(run_id, holder, pid, host, acquired_at, heartbeat_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)", (run_id, self.holder, self.pid, self.host, now, now))
            elif current.holder == self.holder:
                await self.store._write("UPDATE run_leases SET heartbeat_at = ? WHERE run_id = ? AND holder = ?",
                                        (now, run_id, self.holder))
                now = current.acquired_at
            elif self.is_gone(current, now):
                log.warning("run %s: taking over the lease of %s, which is gone", run_id, current.describe())
                await self.store._write(
                    "UPDATE run_leases SET holder = ?, pid = ?, host = ?, acquired_at = ?, heartbeat_at = ?"
                    " WHERE run_id = ? AND holder = ?",
                    (self.holder, self.pid, self.host, now, now, run_id, current.holder))
            else:
                raise LeaseHeld(current)
        self._held.add(run_id)
        self._start_heartbeat()
        return LeaseInfo(run_id, self.holder, self.pid, self.host, now, time.time())

    async def release(self, run_id: str) -> None:
        self._held.discard(run_id)
        await self.store._write("DELETE FROM run_leases WHERE run_id = ? AND holder = ?", (run_id, self.holder))

    async def heartbeat(self) -> None:
        """Refresh every lease held; a lease that is no longer ours (taken over) is dropped and reported."""
        if not self._held:
            return
        now = time.time()
        held = sorted(self._held)
        marks = ",".join("?" * len(held))
        cur = await self.store._write(
            f"UPDATE run_leases SET heartbeat_at = ? WHERE holder = ? AND run_id IN ({marks})",
            (now, self.holder, *held))
        if cur.rowcount == len(held):
            return
        async with self.store.db.execute(
                f"SELECT run_id FROM run_leases WHERE holder = ? AND run_id IN ({marks})", (self.holder, *held)) as c:
            still = {row["run_id"] for row in await c.fetchall()}
        for run_id in held:
            if run_id not in still:
                self._held.discard(run_id)
                log.error("run %s: this process no longer holds its lease; another process drives it now", run_id)
                if self.on_lost is not None:
                    try:
                        self.on_lost(run_id)
                    except Exception:
                        log.exception("lease-lost callback failed")

    def _start_heartbeat(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._beat(), name="run lease heartbeat")

    async def _beat(self) -> None:
        while self._held:
            await asyncio.sleep(self.heartbeat_every)
            try:
                await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:  # a busy database now and then must not end the heartbeat
                if self.store._db is None:
                    return
                log.warning("run lease heartbeat failed", exc_info=True)

    async def close(self) -> None:
        """Stop the heartbeat and give back every lease (the store stays open)."""
        if self._closed:
            return
        self._closed = True
        _LIVE.pop(self.holder, None)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if task.get_loop() is asyncio.get_running_loop():
                await asyncio.gather(task, return_exceptions=True)
        if self._held and self.store._db is not None:
            self._held.clear()
            try:
                await self.store._write("DELETE FROM run_leases WHERE holder = ?", (self.holder,))
            except Exception:  # the next process takes over a dead pid's lease anyway
                log.warning("could not release the run leases", exc_info=True)
