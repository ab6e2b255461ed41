"""`python -m tests.crash.cctui_proc ARGS...` = `cctui ARGS...`, plus test-only hooks from the environment.

The crash and fault suites run cctui as a real subprocess through this module. Without any of
the variables below it is exactly `cctui.cli.main(ARGS)`.

- `CRASH_KILL_AT_WRITE=N`: SIGKILL this process inside its N-th database write (an INSERT,
  UPDATE, DELETE or COMMIT, counted from 1): a SQLite progress handler fires while that
  statement runs, so the kill lands in the middle of it (mid-transaction, or inside the COMMIT).
  With `CRASH_KILL_WHEN=after`, the kill comes right after the statement returned instead.
- `CRASH_COUNT_WRITES=FILE`: write the number of database writes made to FILE at exit.
- `CRASH_CLIENT_TIMEOUT=S`: every provider client waits at most S seconds for an answer
  (instead of 60-600 s), so the fault suite's timeouts stay short.
- `CRASH_MIN_POLL=S`: the job manager's shortest poll interval (default 0.5 s).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "COMMIT")


def _is_write(sql: object) -> bool:
    return isinstance(sql, str) and sql.lstrip().upper().startswith(WRITES)


def install_write_hooks(kill_at: int | None, count_file: str | None, when: str = "during") -> None:
    from aiosqlite import core

    lock = threading.Lock()
    state = {"writes": 0, "armed": False}
    original = core.Connection._execute

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def progress() -> int:
        if state["armed"]:
            die()
        return 0

    async def _execute(self, fn, *args, **kwargs):
        conn = getattr(self, "_conn", None)
        if conn is None or getattr(fn, "__self__", None) is not conn or getattr(fn, "__name__", "") != "execute" \
                or not args or not _is_write(args[0]):
            return await original(self, fn, *args, **kwargs)
        with lock:
            state["writes"] += 1
            number = state["writes"]
        if kill_at is None or number != kill_at:
            return await original(self, fn, *args, **kwargs)
        if when == "after":
            def run_then_die(*a, **kw):
                result = fn(*a, **kw)
                die()
                return result
            return await original(self, run_then_die, *args, **kwargs)
        await original(self, conn.set_progress_handler, progress, 1)

        def armed_execute(*a, **kw):
            state["armed"] = True  # set in the database thread, right before this statement runs
            return fn(*a, **kw)
        return await original(self, armed_execute, *args, **kwargs)

    core.Connection._execute = _execute
    if count_file:
        def report() -> None:
            with open(count_file, "w", encoding="utf-8") as out:
                out.write(str(state["writes"]))
        atexit.register(report)


def shorten_client_timeouts(seconds: float) -> None:
    import httpx

    from cctui.providers import elevenlabs, leonardo, openai_images, openai_llm, sora

    for cls in (openai_llm.OpenAILLM, openai_images.OpenAIImages, sora.SoraClient):
        cls.__init__.__kwdefaults__["timeout"] = seconds
    leonardo.API_TIMEOUT = httpx.Timeout(seconds, connect=seconds)
    leonardo.TRANSFER_TIMEOUT = httpx.Timeout(seconds, connect=seconds)
    elevenlabs.TIMEOUT = httpx.Timeout(seconds, connect=seconds)
    sora.DOWNLOAD_TIMEOUT = seconds


def set_min_poll(seconds: float) -> None:
    from cctui.jobs.manager import JobManager

    JobManager.__init__.__kwdefaults__["min_poll"] = seconds


def main(argv: list[str]) -> int:
    env = os.environ
    kill_at = int(env["CRASH_KILL_AT_WRITE"]) if env.get("CRASH_KILL_AT_WRITE") else None
    if kill_at is not None or env.get("CRASH_COUNT_WRITES"):
        install_write_hooks(kill_at, env.get("CRASH_COUNT_WRITES"), env.get("CRASH_KILL_WHEN", "during"))
    if env.get("CRASH_CLIENT_TIMEOUT"):
        shorten_client_timeouts(float(env["CRASH_CLIENT_TIMEOUT"]))
    if env.get("CRASH_MIN_POLL"):
        set_min_poll(float(env["CRASH_MIN_POLL"]))
    from cctui.cli import main as cctui_main

    return cctui_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
