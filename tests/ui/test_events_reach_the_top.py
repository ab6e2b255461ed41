"""Engine events reach the screen on top only. Textual repaints the whole top screen after any
message a screen under it handles, so job updates delivered to the runs list under a run cost a
full repaint each (the bench's 200 jobs: a third of the app's CPU, job completion p95 396 ms).
A screen that comes back on top reads what it shows again."""

from __future__ import annotations

import sqlite3

from textual._compositor import Compositor
from textual.screen import Screen

from app_harness import NOW, make_test_app, settings_for, settle, wait_for
from cctui.engine.events import JobChanged
from cctui.records import JobStatus
from cctui.ui.messages import RunEvent
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen


async def open_first_question(pilot, app) -> RunScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.interaction is not None)
    await settle(pilot)
    return app.screen


async def test_job_updates_do_not_repaint_the_whole_run_screen(tmp_path, monkeypatch):
    repaints = []
    original = Compositor.render_update

    def render_update(self, full: bool = False, **kwargs):
        # A whole-screen repaint the app chose (a screenshot asks for full=True: not counted).
        if not full and self.size.region in self._dirty_regions:
            repaints.append(1)
        return original(self, full, **kwargs)

    monkeypatch.setattr(Compositor, "render_update", render_update)
    app = make_test_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_question(pilot, app)
        repaints.clear()
        for n in range(30):
            # Another run's jobs (a second process, or jobs left running): nothing on this screen changes.
            app.post_message(RunEvent(JobChanged(run_id="another-run", job_id=f"job-{n}", status=JobStatus.RUNNING,
                                                 progress=n / 30, interaction_id=None)))
            await pilot.pause(0.01)
        await pilot.pause(0.3)
        assert app.screen is screen
        assert len(repaints) <= 2, f"{len(repaints)} full repaints for 30 updates of another run's jobs"


async def test_the_run_screen_shows_what_was_spent_while_a_screen_was_over_it(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_question(pilot, app)
        status = lambda: str(screen.query_one("#status-bar").render())  # noqa: E731
        assert "Spent: $0.00" in status()
        await app.push_screen(Screen())
        # What a generation on the screen above charged (as the ledger records it).
        db = sqlite3.connect(settings_for(tmp_path).db_path)
        db.execute("INSERT INTO costs(run_id, provider, kind, amount, currency, source, job_id, detail, created_at)"
                   " VALUES (?, 'leonardo', 'video', 0.5, 'usd', 'provider', NULL, '{}', ?)", (screen.run.run_id, NOW))
        db.commit()
        db.close()
        await pilot.pause(0.1)
        app.pop_screen()
        await wait_for(pilot, lambda: "Spent: $0.50" in status())

