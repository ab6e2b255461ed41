"""`python -m bench.launch_app [--bare] OUT.json`: start cctui the way the `cctui` command does
(settings from the environment, logging, `make_app(settings).run()`), or a bare Textual app, and
exit at the first paint that shows the runs table with its rows (bare app: the first paint).

OUT.json gets wall-clock times (time.time()): `launcher` (this module started running),
`imported` (cctui / Textual imported, app built), `first_paint` and `ready` (the paint counted).
"""

from __future__ import annotations

import time

LAUNCHER = time.time()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402


def bare_app() -> tuple[Any, Callable[[], bool]]:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("A bare Textual app: one line of text.")
            yield Footer()

    return Bare(), lambda: True


def cctui_app() -> tuple[Any, Callable[[], bool]]:
    from textual.widgets import DataTable

    from cctui.logs import setup_logging
    from cctui.settings import load_settings
    from cctui.ui.app import make_app
    from cctui.ui.screens.runs_screen import RunsScreen

    settings = load_settings()
    setup_logging(settings)
    app = make_app(settings)

    def ready() -> bool:
        screen = app.screen
        if not isinstance(screen, RunsScreen):
            return False
        table = screen.query_one(DataTable)
        return table.row_count > 0 and table.display

    return app, ready


def main() -> int:
    out = Path(sys.argv[-1])
    app, ready = bare_app() if "--bare" in sys.argv else cctui_app()
    times: dict[str, float] = {"launcher": LAUNCHER, "imported": time.time()}
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        painted = renderable is not None and not app._batch_count
        original(screen, renderable)
        if not painted or "ready" in times:
            return
        times.setdefault("first_paint", time.time())
        if ready():
            times["ready"] = time.time()
            out.write_text(json.dumps(times))
            app.exit()

    app._display = display
    app.run()
    return 0 if "ready" in times else 1


if __name__ == "__main__":
    raise SystemExit(main())
