"""Where an error that escaped a worker goes: one handler, the app's.

Textual sends `Worker.StateChanged` only to the node that started the worker (it does not
bubble), so every node that starts workers mixes this in and hands errors to the app.
"""

from __future__ import annotations

import logging

from textual.worker import Worker, WorkerState

from cctui.errors import CctuiError
from cctui.safe_text import LINE_LIMIT, clean

log = logging.getLogger(__name__)

# What a failed worker is about, by group, for the toast's title.
TITLES = {"open-file": "Could not open the file", "runs": "Could not read the runs",
          "runs-more": "Could not read the runs", "engine": "The step stopped", "open-run": "Cannot open the run"}


def report_worker_error(app, worker: Worker) -> None:
    error = worker.error
    title = TITLES.get(worker.group, "Something failed")
    if isinstance(error, CctuiError):
        text = error.report()
    else:
        # A bug: its traceback goes to the log file, a short line to the screen.
        log.error("worker %s (%s) failed", worker.name, worker.group, exc_info=error)
        text = f"unexpected {type(error).__name__}: {error} (details in the log)"
    app.notify(clean(text, LINE_LIMIT), title=title, severity="error", markup=False, timeout=10)


class WorkerErrorsToApp:
    """Mixed into screens and widgets that start workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_worker_error(self.app, event.worker)  # type: ignore[attr-defined]
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """What the node itself does after a failure (beyond the toast): nothing by default."""
