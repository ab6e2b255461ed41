"""The history screen (`h` on the run screen): the run's questions in order; enter on an earlier
one, confirmed, takes the run back to it and asks it again; what came after stays, marked ✗."""

from __future__ import annotations

import sqlite3

import app_harness
from app_harness import NOW, WORKFLOW, make_test_app, run_screen, settings_for, settle, wait_for, waiting_at
from cctui.demo import start_demo
from cctui.providers.registry import Providers
from cctui.ui.screens.dialogs import ConfirmScreen
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.history_screen import HistoryScreen
from cctui.ui.screens.runs_screen import RunsScreen

ANSWERED = ("select_pet_type", "select_aesthetic")


async def answer_two_questions(pilot, app):
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    await pilot.press("n")
    for module in ANSWERED:
        await wait_for(pilot, lambda m=module: waiting_at(app, m))
        await pilot.press("enter")
    await wait_for(pilot, lambda: waiting_at(app, "select_duration"))


async def branch_from_the_first_question(pilot, app):
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
    table = app.screen.query_one("#history-table")
    assert table.row_count == 3 and table.cursor_row == 2  # on the question asked now
    await pilot.press("up", "up", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    assert "goes back to step 1" in str(app.screen.query("Static")[1].content)
    await pilot.press("y")
    await wait_for(pilot, lambda: waiting_at(app, "select_pet_type") and run_screen(app).run.branch == 1)


async def test_branch_from_the_first_question_by_keys(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_two_questions(pilot, app)
        run = run_screen(app).run
        assert "History" in {c.title for c in app.get_system_commands(app.screen)}  # ctrl+p finds it

        # The question asked now and an abandoned one cannot be branched from: the screen says so.
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("enter")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))

        await branch_from_the_first_question(pilot, app)
        assert run.state == run.workflow.initial_state  # as when the pet was asked: nothing chosen yet
        entries = await run.history()
        assert [(e.module, e.abandoned) for e in entries] == [
            *((m, True) for m in (*ANSWERED, "select_duration")), ("select_pet_type", False)]

        # The question is asked again, and answering it goes on from there.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: waiting_at(app, "select_aesthetic"))
        assert run.state["pet_type_selection_indices"][-1] == 1

        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("up", "up", "enter")  # an abandoned question: refused, the screen stays
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen) and run.branch == 1


async def test_a_demo_run_branches_back_past_a_paid_image_and_sends_nothing_again(tmp_path, monkeypatch):
    """Against the stand-in over HTTP: an image made in step 3, then back to the scene choice
    from the history: no request is sent by the branch, and the image is offered again."""
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.3")
    standin, settings = start_demo(settings_for(tmp_path))
    app = app_harness.TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await answer_two_questions(pilot, app)
            app.engine.services.jobs.min_poll = 0.05
            await pilot.press("enter")
            await wait_for(pilot, lambda: waiting_at(app, "get_user_direction"))
            await pilot.press(*"Miso", "ctrl+s")
            await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
            await pilot.press("g")
            await wait_for(pilot, lambda: [g["status"] for g in app.screen.generations] == ["completed"], timeout=30)
            made = app.screen.generations[0]["job_id"]
            await pilot.press("escape")  # back to the run screen, the image step still asking
            await wait_for(pilot, lambda: not isinstance(app.screen, MediaScreen))

            sent = len(standin.requests)
            await pilot.press("h")
            await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
            assert [e.module for e in app.screen.entries][-2:] == ["select_scene", "generate_and_select_images"]
            await pilot.press("up", "enter", "y")
            await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
            assert len(standin.requests) == sent  # the branch itself sent nothing

            await pilot.press("enter")  # the same scene: the image prompts are asked for again
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
            assert [g["job_id"] for g in app.screen.generations] == [made]
            posts = [r.path for r in standin.requests if r.method == "POST" and "generations" in r.path]
            assert len(posts) == 1, posts
    finally:
        standin.stop()


def test_history_after_a_branch(snap_compare, tmp_path):
    app = make_test_app(tmp_path)

    async def ready(pilot):
        await answer_two_questions(pilot, app)
        await branch_from_the_first_question(pilot, app)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: waiting_at(app, "select_aesthetic"))
        # Fixed times: the events a minute apart, the last one asked at the app's "now".
        db = sqlite3.connect(settings_for(tmp_path).db_path)
        db.execute("UPDATE events SET created_at = ? - ((SELECT MAX(event_id) FROM events) - event_id) * 60",
                   (NOW,))
        db.commit()
        db.close()
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
