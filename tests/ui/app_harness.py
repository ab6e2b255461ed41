"""Building the real app for tests: a data dir in tmp, fake providers, a fixed clock."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import sqlite3
from pathlib import Path

from textual.widgets import Input, TextArea

from cctui.settings import load_settings
from cctui.ui.app import CCApp
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "workflows" / "cc"
NOW = 1_790_000_000.0  # a fixed "now" so ages in snapshots never change


# A blinking cursor makes two screenshots of one screen differ (seen as a snapshot that fails
# only on a loaded machine): in tests the cursors of text boxes do not blink.
for _widget in (Input, TextArea):
    _widget.cursor_blink._default = False  # type: ignore[attr-defined]


class TestApp(CCApp):
    """The real app with everything that varies turned off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.animation_level = "none"


def settings_for(tmp_path: Path):
    return load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                         image_protocol="halfcell")


def make_test_app(tmp_path: Path, providers=None, **kwargs) -> TestApp:
    providers = providers or FakeProviders()
    app = TestApp(settings_for(tmp_path), providers=providers, workflow_dir=WORKFLOW, now=lambda: NOW, **kwargs)
    app.fake_providers = providers
    return app


def seed_runs(tmp_path: Path, rows: list[dict]) -> None:
    """Runs written straight into a fresh database, with fixed ids and times."""
    from cctui.store.db import Store

    async def create():
        store = await Store.open(settings_for(tmp_path).db_path)
        await store.close()

    # The schema comes from the real Store; in a thread so this works inside a running loop too.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    db = sqlite3.connect(settings_for(tmp_path).db_path)
    for row in rows:
        db.execute("INSERT INTO runs(run_id, workflow_id, workflow_dir, status, state, position, branch,"
                   " created_at, updated_at) VALUES (?, 'cuddle_crew', ?, ?, '{}', ?, 0, ?, ?)",
                   (row["run_id"], str(WORKFLOW), row["status"], json.dumps(row["position"]),
                    NOW - row["age"], NOW - row["age"]))
        for i, (amount, unit) in enumerate(row.get("costs", [])):
            db.execute("INSERT INTO jobs(job_id, run_id, provider, action, request, status, cost_amount, cost_unit,"
                       " created_at, updated_at) VALUES (?, ?, 'p', 'a', '{}', 'completed', ?, ?, ?, ?)",
                       (f"{row['run_id']}-{i}", row["run_id"], amount, unit, NOW, NOW))
            db.execute("INSERT INTO costs(run_id, provider, kind, amount, currency, source, job_id, detail,"
                       " created_at) VALUES (?, 'p', 'video', ?, ?, 'provider', ?, '{}', ?)",
                       (row["run_id"], amount, unit, f"{row['run_id']}-{i}", NOW))
    db.commit()
    db.close()


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    """Wait until predicate() is true, letting workers and timers run; never a fixed sleep. A
    widget the predicate queries that is not mounted yet counts as not yet."""
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(predicate())
        except NoMatches:
            return False

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not holds():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


async def settle(pilot, quiet: float = 0.3, timeout: float = 10.0) -> None:
    """Wait until the screen has not changed for `quiet` seconds: a worker that loads data after a
    screen mounts (costs, cards, scroll to focus) can land after the event queue is empty, and a
    snapshot taken before it shows a half-built screen under a loaded machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, since = None, loop.time()
    while loop.time() < deadline:
        await pilot.pause(0.05)
        shot = pilot.app.export_screenshot()
        if shot != last:
            last, since = shot, loop.time()
        elif loop.time() - since >= quiet:
            return
    raise AssertionError(f"the screen kept changing for {timeout:g} s")


@contextlib.contextmanager
def taken_in_turn(folder: Path):
    """A fixed folder (so that paths in a snapshot never change) is shared by every checkout on
    the machine: two test runs at once (a clean-clone CI run beside a working one) take turns
    instead of deleting each other's run."""
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_screen(app):
    """The run screen on the app's stack (under a media screen or a dialog too), or None."""
    from cctui.ui.screens.run_screen import RunScreen

    return next((s for s in app.screen_stack if isinstance(s, RunScreen)), None)


def waiting_at(app, module: str) -> bool:
    """The run waits on `module`'s question and the screen shows it (not the loading line)."""
    screen = run_screen(app)
    return bool(screen and screen.interaction and screen.interaction.module_name == module
                and not screen.query("#loading"))
