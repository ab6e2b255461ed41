"""Running one ffmpeg command from asyncio: progress, a bounded log tail, stalls and cancellation.

Whatever happens to the awaiting task (success, error, cancellation), the ffmpeg process has
ended by the time `run_ffmpeg` returns or raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections import deque
from typing import Callable

from cctui.media.ffmpeg_exe import ffmpeg_exe

TERMINATE_GRACE = 2.0
TAIL_LINES = 60
ERROR_LINES = 6
_ADDRESS = re.compile(r" @ 0x[0-9a-f]+")


class FfmpegFailed(Exception):
    """ffmpeg did not finish its job; `reason` in words, `tail` its last log lines."""

    def __init__(self, reason: str, tail: list[str]):
        super().__init__(reason)
        self.reason, self.tail = reason, tail

    def details(self) -> str:
        return f"{self.reason}. Last ffmpeg output:\n{last_lines(self.tail)}"


def last_lines(tail: list[str], n: int = ERROR_LINES) -> str:
    """The last n distinct log lines, indented, for an error message."""
    lines: list[str] = []
    for line in tail:
        line = _ADDRESS.sub("", line)
        if not lines or lines[-1] != line:  # decoders repeat the same complaint for every packet
            lines.append(line)
    return "\n".join(f"  {line}" for line in lines[-n:]) or "  (ffmpeg printed nothing)"


def _seconds(key: str, value: str) -> float | None:
    try:
        if key in ("out_time_us", "out_time_ms"):  # both are microseconds (out_time_ms is misnamed)
            return int(value) / 1_000_000
        h, m, s = value.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:  # "N/A" before the first frame
        return None


async def stop(proc: asyncio.subprocess.Process) -> None:
    """End ffmpeg: ask it to quit, kill it if it does not. Kills it even if cancelled meanwhile."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE)
    except asyncio.TimeoutError:
        pass
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    if proc.returncode is None:
        await proc.wait()


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, ask for SIGKILL when cctui dies, so a killed cctui
    never leaves an orphan ffmpeg writing a .part file nobody will rename or remove."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


async def run_ffmpeg(args: list[str], *, on_time: Callable[[float], None] | None = None,
                     stall_timeout: float | None = None) -> list[str]:
    """Run `ffmpeg args` to the end; returns its last log lines. Raises FfmpegFailed.

    on_time gets the output position in seconds as it grows. With stall_timeout, a run whose
    output position does not move for that long is killed (a damaged input can make a looped
    input spin forever without producing a frame).
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "warning", "-nostats",
           "-progress", "pipe:1", "-stats_period", "0.25", *args]
    loop = asyncio.get_running_loop()
    try:
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE,
                                                    preexec_fn=_die_with_parent)
    except OSError as exc:
        raise FfmpegFailed(f"ffmpeg could not be started ({exc})", []) from None
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    state = {"best": -1.0, "advanced": loop.time(), "stalled": False}

    async def read_lines(stream: asyncio.StreamReader, handle: Callable[[str], None]) -> None:
        # Both pipes are drained as data comes, or a full pipe would block ffmpeg. Chunked reads
        # because readline() gives up on over-long lines; \r also ends a line in ffmpeg's output.
        buf = b""
        try:
            while chunk := await stream.read(65536):
                *done, buf = (buf + chunk.replace(b"\r", b"\n")).split(b"\n")
                for raw in done:
                    handle(raw.decode("utf-8", "replace").strip())
            if buf:
                handle(buf.decode("utf-8", "replace").strip())
        except Exception:
            # A failing progress callback ends the run rather than leaving ffmpeg running unwatched.
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            raise

    def on_progress_line(line: str) -> None:
        key, _, value = line.partition("=")
        if key in ("out_time_us", "out_time_ms", "out_time"):
            t = _seconds(key, value)
            if t is not None and t > state["best"]:
                state["best"], state["advanced"] = t, loop.time()
                if on_time:
                    on_time(t)

    def on_log_line(line: str) -> None:
        if line:
            tail.append(line)

    async def watchdog() -> None:
        assert stall_timeout is not None
        while True:
            await asyncio.sleep(min(1.0, stall_timeout / 4))
            if loop.time() - state["advanced"] > stall_timeout:
                state["stalled"] = True
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                return

    readers = [asyncio.ensure_future(read_lines(proc.stdout, on_progress_line)),
               asyncio.ensure_future(read_lines(proc.stderr, on_log_line))]
    guard = asyncio.ensure_future(watchdog()) if stall_timeout else None
    helpers = [*readers, *([guard] if guard else [])]
    try:
        rc = await proc.wait()
        await asyncio.gather(*readers)
    finally:
        if guard:
            guard.cancel()
        await stop(proc)
        for task in readers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
    if state["stalled"]:
        raise FfmpegFailed(f"ffmpeg made no progress for {stall_timeout:g} s and was stopped "
                           "(an input file may be damaged)", list(tail))
    if rc != 0:
        raise FfmpegFailed(f"ffmpeg exited with code {rc}", list(tail))
    return list(tail)
