"""With --demo, every screen says DEMO in its header (at 80 columns too): the runs screen, a run,
and the media screen, whose own title would otherwise replace the app's."""

from __future__ import annotations

from app_harness import make_test_app, run_screen, wait_for
from test_media_v2_screen import Host, interaction, settle

from cctui.ui.screens.media_screen import MediaScreen


def first_row(app) -> str:
    """The header row as the terminal shows it."""
    from textual.widgets import Header

    header = app.screen.query_one(Header)
    return f"{app.screen.title or app.title} {app.screen.sub_title or app.sub_title}" if header else ""


async def test_the_runs_and_run_screens_say_demo(tmp_path):
    app = make_test_app(tmp_path, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        assert first_row(app).startswith("cctui DEMO offline stand-ins")
        await pilot.press("n")
        await wait_for(pilot, lambda: run_screen(app) is not None and app.screen is run_screen(app))
        assert first_row(app).startswith("cctui DEMO ")


async def test_the_media_screen_says_demo():
    run, asked = interaction()
    app = Host(MediaScreen(run, asked))
    app.demo = True
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.media.title.startswith("DEMO · ")


async def test_without_demo_nothing_says_it(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        assert "DEMO" not in first_row(app)
