"""When the app paints, for apps driven in-process by the Textual pilot.

`PaintProbe(app)` wraps `App._display`, the one place a screen update goes to the terminal. In a
headless test the update is not written, so the probe renders it to terminal bytes itself (the
same `render_segments` call the real driver makes) before noting the time: a "paint" here costs
what it costs in a terminal, minus the write to the tty.

    probe = PaintProbe(app)
    paint = await probe.wait_for(lambda: app.screen.focused is not before, timeout=10)
    paint.wall, paint.cpu   # time.perf_counter() and time.thread_time() at that paint

`cpu` is the CPU time of the thread running the app's event loop: the wall time between two
moments minus the CPU time between them is time the loop spent waiting (for its timer, for I/O,
or for a core that other processes had).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, NamedTuple


class Paint(NamedTuple):
    wall: float  # time.perf_counter()
    cpu: float  # time.thread_time() of the event loop's thread


class PaintProbe:
    def __init__(self, app: Any):
        self.app = app
        self.count = 0
        self.last = 0.0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[Paint]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            painted = renderable is not None and not app._batch_count
            original(screen, renderable)
            if not painted:
                return
            if app.is_headless:
                renderable.render_segments(app.console)
            self.last = time.perf_counter()
            cpu = time.thread_time()
            self.count += 1
            for waiter in list(self._waiters):
                condition, future = waiter
                if future.done():
                    self._waiters.remove(waiter)
                elif condition():
                    self._waiters.remove(waiter)
                    future.set_result(Paint(self.last, cpu))

        app._display = display

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> "asyncio.Future[Paint]":
        """A future for the first paint at which `condition()` holds."""
        future: asyncio.Future[Paint] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))

        async def expire() -> None:
            await asyncio.sleep(timeout)
            if not future.done():
                future.set_exception(TimeoutError(f"no paint with the condition within {timeout:g} s"))

        future._bench_timer = asyncio.get_running_loop().create_task(expire())  # type: ignore[attr-defined]
        future.add_done_callback(lambda f: f._bench_timer.cancel())  # type: ignore[attr-defined]
        return future
