"""`python -m bench.launch_app [--bare] OUT.json`: run the `cctui` command (`cctui.cli.main`, no
arguments: settings from the environment), or a bare Textual app, and exit at the first paint that
shows the runs table with its rows (bare app: the first paint).

OUT.json gets wall-clock times (time.time()): `launcher` (this module started running),
`imported` (the app is about to run: everything before it imported and built), `first_paint` (the
first screen update written) and `ready` (the runs table's rows painted).
"""

from __future__ import annotations

import time

LAUNCHER = time.time()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def bare_app() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("A bare Textual app: one line of text.")
            yield Footer()

    Bare().run()


def runs_table_filled(app: Any) -> bool:
    screen = app.screen
    if type(screen).__name__ != "RunsScreen":
        return False
    table = screen.query("#runs-table")
    return bool(table) and table.first().row_count > 0 and table.first().display


def cctui_app() -> None:
    # The `cctui` command itself: its argument parsing, settings, logging, image protocol and app.
    from cctui.cli import main

    main([])


def main() -> int:
    out = Path(sys.argv[-1])
    bare = "--bare" in sys.argv
    times: dict[str, float] = {"launcher": LAUNCHER}
    from textual.app import App

    original_run, original_display = App.run, App._display

    def run(app: Any, *args: Any, **kwargs: Any) -> Any:
        times.setdefault("imported", time.time())  # everything the command imports before the app runs
        return original_run(app, *args, **kwargs)

    def display(app: Any, screen: Any, renderable: Any) -> None:
        painted = renderable is not None and not app._batch_count
        original_display(app, screen, renderable)
        if not painted or "ready" in times:
            return
        times.setdefault("first_paint", time.time())
        if bare or runs_table_filled(app):
            times["ready"] = time.time()
            out.write_text(json.dumps(times))
            app.exit()

    App.run, App._display = run, display  # type: ignore[method-assign]
    bare_app() if bare else cctui_app()
    return 0 if "ready" in times else 1


if __name__ == "__main__":
    raise SystemExit(main())
