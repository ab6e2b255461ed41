"""The finish screen of a workflow that is not CC: laid out from what it declares as results."""

from __future__ import annotations

import app_harness
from app_harness import NOW, settings_for, wait_for
from cctui.engine.engine import Engine
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from fakes import FakeProviders
from poster_workflow import finish_poster_run, write_picture, write_poster


async def test_a_poster_workflow_shows_its_own_results(tmp_path):
    folder = write_poster(tmp_path)
    settings = settings_for(tmp_path)
    engine = await Engine.open(settings.db_path, FakeProviders(), settings.runs_dir())
    try:
        await finish_poster_run(engine, folder, write_picture(tmp_path / "rex.png"))
    finally:
        await engine.close()

    app = app_harness.TestApp(settings, providers=FakeProviders(), workflow_dir=folder, now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.query_one("DataTable").row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#final"))
        screen = app.screen
        await wait_for(pilot, lambda: screen.query("#summary"))
        assert str(screen.query_one(".pane-title").content) == "Done: your poster is ready to post"
        preview = screen.query_one("#final")
        assert screen.query("#final-cover") and preview.video_path is None
        assert str(screen.query_one("#result-caption").content) == "A poster of Rex."
        assert str(screen.query_one("#final-keys").content) == "y: copy caption   z: zoom the poster   esc: runs"
        assert str(screen.query_one("#final-cost").content) == "Spent on this run: $0.00"
        assert screen.query_one("#result-notes").title == "How it was made"
        await pilot.press("y")
        assert app.clipboard == "A poster of Rex."
        # A poster workflow has no video and nothing to render again: those keys are not offered.
        assert not screen.check_action("open_video", ()) and not screen.check_action("render_again", ())
        assert screen.check_action("copy_captions", ()) and screen.check_action("view_picture", ())
        await pilot.press("v")
        await pilot.pause()
        assert not any("video" in str(n.message) for n in app._notifications)
