"""The real app driven with key presses: runs screen, selections, retry with feedback, an error
panel, and quitting in step 5 while a video generates, then resuming."""

from __future__ import annotations

from app_harness import make_test_app, seed_runs, wait_for
from cctui.providers.base import ProviderError
from cctui.ui.screens.dialogs import FeedbackScreen, OptionsScreen
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen


def run_screen(app) -> RunScreen:
    return next(s for s in app.screen_stack if isinstance(s, RunScreen))


async def until_interaction(pilot, app, module: str) -> None:
    await wait_for(pilot, lambda: any(isinstance(s, RunScreen) for s in app.screen_stack)
                   and run_screen(app).interaction is not None
                   and run_screen(app).interaction.module_name == module)


async def test_runs_screen_lists_runs_with_step_age_and_cost(tmp_path):
    seed_runs(tmp_path, [
        {"run_id": "20261120-101500-aaaaaa", "status": "waiting", "position": {"step": 4, "module": 2},
         "age": 7200, "costs": [(0.4, "usd"), (34, "credits")]},
        {"run_id": "20261118-090000-bbbbbb", "status": "completed", "position": {"step": 9, "module": 0},
         "age": 3 * 86400},
    ])
    app = make_test_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.loaded and app.screen.query_one("DataTable").row_count == 2)
        table = app.screen.query_one("DataTable")
        first = [str(c) for c in table.get_row_at(0)]
        assert first == ["20261120-101500-aaaaaa", "Cuddle Crew: 5/10 Video Generation", "2 h ago", "$0.40 + 34 cr"]
        assert [str(c) for c in table.get_row_at(1)][1:] == ["Cuddle Crew: ✓ done", "3 d ago", "-"]


async def test_step_one_and_a_retry_with_feedback_by_keys(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        await until_interaction(pilot, app, "select_pet_type")
        await pilot.press("down", "enter")
        await until_interaction(pilot, app, "select_aesthetic")
        await pilot.press("enter")
        await until_interaction(pilot, app, "select_duration")
        await pilot.press("enter")
        await until_interaction(pilot, app, "get_user_direction")
        await pilot.press(*"Biscuit", "ctrl+s")
        await until_interaction(pilot, app, "select_scene")
        run = run_screen(app).run
        assert run.state["pet_type_selection_indices"] == ["pet_types", 1]
        assert run.state["user_direction"] == "Biscuit"
        first = run.state["scene_concepts"]
        # r: retry with feedback, pre-filled with the workflow's default message, replaced by ours.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press(*"snowy please", "ctrl+s")  # the default message is selected: typing replaces it
        await wait_for(pilot, lambda: run.state.get("scene_concepts") not in (None, first)
                       and run_screen(app).interaction is not None)
        llm = app.fake_providers.llm_provider
        assert llm.for_schema("scene")[-1].history[-1]["content"] == "snowy please"
        # o: the options menu lists every option with its shortcut; escape closes it.
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OptionsScreen))
        labels = [str(o.prompt) for o in app.screen.query_one("OptionList")._options]
        assert any(label.startswith("[r] ") for label in labels) and len(labels) == 3
        await pilot.press("escape")
        await pilot.press("down", "enter")
        await until_interaction(pilot, app, "generate_and_select_images")
        assert run.state["selected_scene"] == run.state["scene_concepts"]["scenes"][1]


async def test_a_provider_error_shows_a_panel_and_try_again_recovers(tmp_path):
    app = make_test_app(tmp_path)
    llm = app.fake_providers.llm_provider
    original = llm.complete
    failures = {"left": 1}

    async def failing(request):
        if failures["left"]:
            failures["left"] -= 1
            raise ProviderError("OpenAI refused the API key (401). Check OPENAI_API_KEY.", "auth", provider="openai")
        return await original(request)

    llm.complete = failing
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        for module in ("select_pet_type", "select_aesthetic", "select_duration"):
            await until_interaction(pilot, app, module)
            await pilot.press("enter")
        await until_interaction(pilot, app, "get_user_direction")
        await pilot.press("ctrl+s")
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.run.status == "error" and screen.query("#error-text"))
        assert "Check OPENAI_API_KEY" in str(screen.query_one("#error-text").render())
        await pilot.press("t")
        await until_interaction(pilot, app, "select_scene")
        assert screen.run.status == "waiting"


async def test_quit_in_step_five_while_a_video_generates_then_resume(tmp_path):
    from fakes import FakeProviders
    from cctui.ui.screens.media_screen import MediaScreen

    providers = FakeProviders(polls=40)  # a video that takes a while
    app = make_test_app(tmp_path, providers=providers)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
        app.engine.services.jobs.min_poll = 0.02
        await pilot.press("n")
        for module in ("select_pet_type", "select_aesthetic", "select_duration"):
            await until_interaction(pilot, app, module)
            await pilot.press("enter")
        await until_interaction(pilot, app, "get_user_direction")
        await pilot.press("ctrl+s")
        await until_interaction(pilot, app, "select_scene")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen))
        providers.media_providers["leonardo"].polls = 1
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen) and app.screen.generations
                       and app.screen.generations[0]["status"] == "completed")
        await pilot.press("enter")
        await until_interaction(pilot, app, "select_motion_elements")
        await pilot.press("space", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                       and app.screen.interaction.module_name == "generate_and_select_videos")
        providers.media_providers["leonardo"].polls = 10**9  # still running when we quit
        await pilot.press("g")
        await wait_for(pilot, lambda: app.screen.generations
                       and app.screen.generations[0]["status"] in ("submitted", "running"))
        run_id = run_screen(app).run.run_id
        await pilot.press("ctrl+q")
    submits = len(providers.media_providers["leonardo"].submits)
    providers.media_providers["leonardo"].polls = 3  # finishes soon after the restart

    app = make_test_app(tmp_path, providers=providers)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.loaded and app.screen.query_one("DataTable").row_count == 1)
        app.engine.services.jobs.min_poll = 0.02
        table = app.screen.query_one("DataTable")
        assert str(table.get_row_at(0)[0]) == run_id and str(table.get_row_at(0)[1]) == "Cuddle Crew: 5/10 Video Generation"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen) and app.screen.generations
                       and app.screen.generations[0]["status"] == "completed", timeout=20)
        assert len(providers.media_providers["leonardo"].submits) == submits  # polled again, not resubmitted
        await pilot.press("enter")
        await until_interaction(pilot, app, "select_text_overlay")


async def test_the_runs_list_reads_pages_as_the_cursor_goes_down(tmp_path):
    # 230 runs: the first page (100) paints; going down reads the next ones, oldest last.
    seed_runs(tmp_path, [{"run_id": f"run-{i:03d}", "status": "waiting", "position": {"step": 1}, "age": 60 * i}
                         for i in range(230)])
    app = make_test_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.loaded)
        table = app.screen.query_one("DataTable")
        assert table.row_count == 100
        await pilot.press("end")  # the last row read: the next page follows it
        await wait_for(pilot, lambda: table.row_count == 200)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.row_count == 230)
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert rows == [f"run-{i:03d}" for i in range(230)]  # newest first, each once
        await pilot.press("end")
        await pilot.pause(0.2)
        assert table.row_count == 230
        await pilot.press("enter")  # the oldest opens like any other
        await wait_for(pilot, lambda: any(isinstance(s, RunScreen) for s in app.screen_stack))
        assert run_screen(app).run.run_id == "run-229"
