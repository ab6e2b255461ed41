"""`n` with several workflows known: a picker (a broken one shown with why, not choosable), the
chosen one started, and its run named in the runs list."""

from __future__ import annotations

from textual.widgets import OptionList

import app_harness
from app_harness import NOW, settings_for, wait_for
from cctui.engine.catalogue import Catalogue
from cctui.ui.screens.dialogs import WorkflowPickerScreen
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from fakes import FakeProviders
from poster_workflow import write_poster
from test_workflow_catalogue import write_broken


def picker_app(tmp_path) -> app_harness.TestApp:
    user = tmp_path / "workflows"
    user.mkdir()
    write_poster(user)
    write_broken(user)
    return app_harness.TestApp(settings_for(tmp_path), providers=FakeProviders(), now=lambda: NOW,
                   catalogue=Catalogue(user_dirs=[user]))


def intro(app) -> str:
    return str(app.screen.query_one("#runs-intro").render())


async def test_n_asks_which_workflow_and_starts_the_second(tmp_path):
    app = picker_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and intro(app))
        assert intro(app).startswith("Workflows: Cuddle Crew, Quick Clip, broken (does not load), Poster   "
                                     "n: new run (asks which)")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowPickerScreen))
        options = app.screen.query_one(OptionList)
        entries = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert entries[0].startswith("Cuddle Crew  (cuddle_crew)\n")
        assert entries[1].startswith("Quick Clip  (quick_clip)\n")
        assert entries[2].startswith(f"broken  (broken)\n  {tmp_path / 'workflows' / 'broken'}\n"
                                     "  does not load: broken/workflow.json: at $.steps:")
        assert entries[3] == f"Poster  (poster)\n  {tmp_path / 'workflows' / 'poster'}"
        assert [options.get_option_at_index(i).disabled for i in range(4)] == [False, False, True, False]
        assert options.highlighted == 0
        await pilot.press("down", "down")  # the broken one cannot be highlighted: the cursor passes over it
        assert options.highlighted == 3
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.interaction is not None)
        assert app.screen.run.workflow.workflow_id == "poster"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.query_one("DataTable").row_count == 1)
        row = [str(c) for c in app.screen.query_one("DataTable").get_row_at(0)]
        assert row[1] == "Poster: 1/1 Make the poster"


async def test_escape_in_the_picker_starts_nothing(tmp_path):
    app = picker_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and intro(app))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowPickerScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.pause(0.2)
        assert isinstance(app.screen, RunsScreen) and not app.screen.query_one("DataTable").row_count


async def test_an_opened_workflow_starts_without_asking(tmp_path):
    user = tmp_path / "workflows"
    user.mkdir()
    poster = write_poster(user)
    app = app_harness.TestApp(settings_for(tmp_path), providers=FakeProviders(), now=lambda: NOW, workflow_dir=poster,
                  catalogue=Catalogue(user_dirs=[user], opened=[poster]))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and intro(app))
        assert intro(app) == "Workflow: Poster   n: new run"  # no run yet: nothing to resume
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.screen.run.workflow.workflow_id == "poster"
