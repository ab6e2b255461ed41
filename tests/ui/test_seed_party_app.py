"""The party workflow (ours, in the seed system's format) in the app, by keys: a card select, a
name with a pattern, a child run for more themes (its shortcut, feedback, ctrl+s), a theme, the
guest table, a photo path, the plan written; then a second run whose status bar (laid out in two
lines, as the workflow says) shows the keywords the first one left in the keyword memory. The
snapshot of that second run's theme question was looked at before it was accepted."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from app_harness import NOW, TestApp, settings_for, settle, wait_for
from cctui.ui.screens.dialogs import FeedbackScreen
from cctui.ui.screens.run_screen import RunScreen
from fakes import FakeProviders
from test_seed_party import PARTY, answers_with_photo


def party_app(tmp_path: Path) -> TestApp:
    return TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=PARTY, now=lambda: NOW)


def asking(app, selector: str):
    return lambda: isinstance(app.screen, RunScreen) and app.screen.interaction is not None \
        and bool(app.screen.query(selector))


def status_text(app) -> str:
    return str(app.screen.query_one("#status-bar").render())


async def test_the_whole_party_by_keys_then_a_second_run_remembers(tmp_path):
    from PIL import Image

    photo = tmp_path / "miso.png"
    Image.new("RGB", (64, 48), (230, 150, 60)).save(photo)
    app = party_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, asking(app, "#select-view"))
        await pilot.press("enter")  # Cat
        await wait_for(pilot, asking(app, "#text-input-line"))
        await pilot.press(*"Miso", "enter")
        await wait_for(pilot, lambda: "Pick Miso's party theme" in str(app.screen.query(".pane-title").first().content))
        first = app.screen.interaction.interaction_id
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press(*"more glitter", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.interaction is not None
                       and app.screen.interaction.interaction_id != first)
        assert len(app.screen.interaction.display["data"]["themes"]) == 6
        await pilot.press("enter")
        await wait_for(pilot, asking(app, "#form-table"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, asking(app, "#file-input-line"))
        await pilot.press(*str(photo), "enter")
        await wait_for(pilot, asking(app, "#write-path"))
        await pilot.press("enter")
        run = app.screen.run
        await wait_for(pilot, lambda: run.status == "completed")
        plan = Path(run.state["plan_path"])
        assert plan.is_file() and "Guests: Biscuit (1 treats), Pepper (1 treats), Clover (1 treats)." \
            in plan.read_text(encoding="utf-8")
        remembered = len(run.state["selected_keywords"])

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RunScreen))
        await pilot.press("n")
        await wait_for(pilot, asking(app, "#select-view"))
        await pilot.press("enter")
        await wait_for(pilot, asking(app, "#text-input-line"))
        await pilot.press(*"Miso", "enter")
        await wait_for(pilot, lambda: f"Remembered: {remembered} keywords" in status_text(app))
        assert status_text(app).splitlines()[0] == "Pet: Miso the Cat"


def first_run_done(tmp_path: Path) -> None:
    """One whole run in batch mode on the app's own database, before the app starts."""
    from cctui.batch import BatchRunner
    from cctui.engine.engine import Engine

    async def run() -> None:
        settings = settings_for(tmp_path)
        engine = await Engine.open(settings.db_path, FakeProviders(), settings.runs_dir())
        try:
            await BatchRunner(engine, answers_with_photo(tmp_path), out=lambda s: None).run(PARTY)
        finally:
            await engine.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_snapshot_the_status_bar_laid_out_as_the_workflow_says(snap_compare, tmp_path):
    first_run_done(tmp_path)
    app = party_app(tmp_path)

    async def ready(pilot):
        await pilot.press("n")
        await wait_for(pilot, asking(app, "#select-view"))
        await pilot.press("enter")
        await wait_for(pilot, asking(app, "#text-input-line"))
        await pilot.press(*"Miso", "enter")
        await wait_for(pilot, lambda: "Remembered:" in status_text(app))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_snapshot_the_file_input(snap_compare, tmp_path):
    app = party_app(tmp_path)

    async def ready(pilot):
        await pilot.press("n")
        await wait_for(pilot, asking(app, "#select-view"))
        await pilot.press("down", "enter")  # Dog
        await wait_for(pilot, asking(app, "#text-input-line"))
        await pilot.press(*"Biscuit", "enter")
        await wait_for(pilot, asking(app, "SchemaCard"))
        await pilot.press("enter")
        await wait_for(pilot, asking(app, "#form-table"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, asking(app, "#file-input-line"))
        await pilot.press(*"~/Pictures/biscuit.heic")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
