"""Snapshots of the app's own screens at 80x24 and 120x40, with a fixed clock and fake providers.

Each was looked at before it was accepted (see the closing notes of the TUI issue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_harness import NOW, WORKFLOW, make_test_app, seed_runs, settle, wait_for
from cctui.providers.base import ProviderError
from cctui.ui.screens.dialogs import FeedbackScreen, OptionsScreen
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen

SIZES = [(80, 24), (120, 40)]


def at(app, module):
    """The run waits on `module` and its question is on screen: not the loading line, nor the
    answer still streaming in (a snapshot taken then caught a page of another height under load)."""
    screen = next((s for s in app.screen_stack if isinstance(s, RunScreen)), None)
    return (screen is not None and screen.interaction is not None and screen.interaction.module_name == module
            and not screen.query("#loading") and not screen.query("#arriving"))


async def to_scenes(pilot, app):
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    await pilot.press("n")
    for module in ("select_pet_type", "select_aesthetic", "select_duration"):
        await wait_for(pilot, lambda m=module: at(app, m))
        await pilot.press("enter")
    await wait_for(pilot, lambda: at(app, "get_user_direction"))
    await pilot.press("ctrl+s")


@pytest.mark.parametrize("size", SIZES)
def test_runs_screen(snap_compare, tmp_path, size):
    seed_runs(tmp_path, [
        {"run_id": "20261120-101500-aaaaaa", "status": "waiting", "position": {"step": 4, "module": 2},
         "age": 7200, "costs": [(0.4, "usd"), (34, "credits")]},
        {"run_id": "20261118-090000-bbbbbb", "status": "completed", "position": {"step": 9, "module": 0},
         "age": 3 * 86400, "costs": [(1.2, "usd")]},
    ])
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.loaded and app.screen.query_one("DataTable").row_count == 2)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_step_one_pet_selection(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: at(app, "select_pet_type"))
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_scene_cards_in_the_app(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: at(app, "select_scene"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_retry_menu(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: at(app, "select_scene"))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OptionsScreen))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_retry_feedback_box(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: at(app, "select_scene"))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_provider_error_panel(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)
    llm = app.fake_providers.llm_provider

    async def refuse(request):
        raise ProviderError("OpenAI refused the API key (401: Incorrect API key provided). Check OPENAI_API_KEY.",
                            "auth", provider="openai")

    llm.complete = refuse

    async def ready(pilot):
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: any(isinstance(s, RunScreen) and s.run.status == "error"
                                          and s.query("#error-text") for s in app.screen_stack))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


SUMMARY_DATA = Path("/tmp/cctui-snapshot-summary")  # fixed, so paths in the summary never change


def _complete_a_run_deterministically() -> None:
    """A finished run with fixed ids, made through the engine with fake providers."""
    import asyncio
    import itertools
    import shutil
    import uuid
    from unittest import mock

    from cctui.batch import BatchRunner, load_answers
    from cctui.engine.engine import Engine
    from fakes import FakeProviders

    shutil.rmtree(SUMMARY_DATA, ignore_errors=True)
    counter = itertools.count(1)

    async def main():
        settings = settings_for_dir(SUMMARY_DATA)
        engine = await Engine.open(settings.db_path, FakeProviders(), settings.runs_dir())
        engine.services.jobs.min_poll = 0.01
        answers = load_answers(WORKFLOW.parent.parent / "examples" / "cc-answers.json")
        await BatchRunner(engine, answers, out=lambda s: None).run(WORKFLOW)
        await engine.close()

    # Ids use the first 12 hex digits of a uuid, so the counter goes in the top bits.
    with mock.patch("uuid.uuid4", lambda: uuid.UUID(int=next(counter) << 80)), \
            mock.patch("cctui.store.db.time.strftime", lambda fmt: "20261125-120000-"):
        asyncio.run(main())


def settings_for_dir(data: Path):
    from cctui.settings import load_settings

    return load_settings(env={}, config_file=data / "none.toml", data_dir=data, image_protocol="halfcell")


@pytest.fixture
def summary_data_to_ourselves():
    from app_harness import taken_in_turn

    with taken_in_turn(SUMMARY_DATA):
        yield


@pytest.mark.parametrize("size", SIZES)
def test_summary(snap_compare, size, summary_data_to_ourselves):
    import concurrent.futures

    from app_harness import TestApp
    from fakes import FakeProviders

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(_complete_a_run_deterministically).result()
    app = TestApp(settings_for_dir(SUMMARY_DATA), providers=FakeProviders(), workflow_dir=WORKFLOW, now=lambda: NOW)

    async def ready(pilot):
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.query_one("DataTable").row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(isinstance(s, RunScreen) and s.query("#summary") for s in app.screen_stack))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
