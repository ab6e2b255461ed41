"""The render form of the summary step in the app: pre-filled, checked, cancellable, then the
final preview. A real ffmpeg render of a fake provider's (real, tiny) clip."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from pathlib import Path

from app_harness import NOW, WORKFLOW, TestApp, settings_for, wait_for
from cctui.batch import BatchError, BatchRunner, load_answers
from cctui.engine.engine import Engine
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from fakes import FakeProviders

ANSWERS = WORKFLOW.parent.parent / "examples" / "cc-answers.json"


def run_to_the_render_form(tmp_path: Path) -> str:
    """Every step through the engine with fake providers, stopping where the render form waits."""
    answers = {k: v for k, v in load_answers(ANSWERS).items() if k != "assemble_video"}

    async def main() -> str:
        settings = settings_for(tmp_path)
        engine = await Engine.open(settings.db_path, FakeProviders(), settings.runs_dir())
        engine.services.jobs.min_poll = 0.01
        runner = BatchRunner(engine, answers, out=lambda s: None)
        run = await engine.new_run(WORKFLOW)
        try:
            await runner.drive(run)
        except BatchError as exc:
            assert "assemble_video" in str(exc)
        await engine.close()
        return run.run_id

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def the_run_screen(app) -> RunScreen | None:
    return next((s for s in app.screen_stack if isinstance(s, RunScreen)), None)


async def open_form(pilot, app) -> RunScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.query_one("DataTable").row_count)
    await pilot.press("enter")
    await wait_for(pilot, lambda: the_run_screen(app) is not None and the_run_screen(app).query("#assemble"))
    return the_run_screen(app)


def ffmpeg_running(folder: Path) -> bool:
    """Is an ffmpeg writing into `folder` (this test's render folder, not anyone else's)?"""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and b"ffmpeg" in cmd.split(b"\0")[0] and str(folder).encode() in cmd:
                return True
    return False


async def test_render_form_refuses_a_bad_file_cancels_cleanly_then_renders(tmp_path):
    run_id = run_to_the_render_form(tmp_path)
    render_dir = tmp_path / "data" / "runs" / run_id / "render"
    app = TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=WORKFLOW, now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot, app)
        form = screen.query_one("#assemble-form")
        assert form.widget_for("music_source").value == "generated"  # the music step made a track
        assert form.widget_for("loop_mode").value == "pingpong"
        lines = screen.run.state["selected_text_overlay"]["lines"]
        assert [c["text"] for c in screen.query_one("#assemble-timeline").cues] == lines
        iid = screen.interaction.interaction_id

        # A music file that does not exist: said in the form, nothing rendered.
        form.widget_for("music_source").value = "file"
        form.widget_for("music_file").value = str(tmp_path / "nope.mp3")
        await pilot.pause()
        form.request_generate()
        await wait_for(pilot, lambda: "does not exist" in str(form.query_one(".media-form-error").content))
        assert not screen.rendering and not render_dir.joinpath("final.mp4").exists()

        # Render, cancel it with x while ffmpeg runs: no file, no ffmpeg, the form is back.
        form.widget_for("music_source").value = "generated"
        await pilot.pause()
        form.request_generate()
        await wait_for(pilot, lambda: screen.rendering and ffmpeg_running(render_dir), timeout=20)
        await pilot.press("x")
        await wait_for(pilot, lambda: not screen.rendering, timeout=20)
        assert "Render cancelled" in str(form.query_one(".media-form-error").content)
        await wait_for(pilot, lambda: not ffmpeg_running(render_dir), timeout=10)
        assert sorted(p.name for p in render_dir.iterdir() if not p.name.startswith(".")) == []
        assert screen.run.position["interaction_id"] == iid and screen.run.status == "waiting"

        # Render to the end: the final preview with the cover, and the state says what was made.
        form.request_generate()
        await wait_for(pilot, lambda: screen.run.status == "completed" and screen.query("#final"), timeout=120)
        final = screen.run.state["final_video"]
        assert Path(final["path"]).is_file() and final["music"]["source"] == "generated"
        assert screen.query("#final-cover")
        assert [p.name for p in render_dir.iterdir() if p.name.startswith(".")] == []
        export = Path(screen.run.state["export_dir"])
        assert json.loads((export / "run.json").read_text())["status"] in ("running", "completed")


async def test_render_again_goes_back_to_the_form_with_the_run_kept(tmp_path):
    run_id = run_to_the_render_form(tmp_path)
    app = TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=WORKFLOW, now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot, app)
        form = screen.query_one("#assemble-form")
        form.widget_for("loop_mode").value = "loop"
        assert form.widget_for("encoding").value == "standard"
        form.widget_for("encoding").value = "draft"  # the form's Encoding select reaches the render
        await pilot.pause()
        form.request_generate()
        await wait_for(pilot, lambda: screen.query("#final"), timeout=120)
        assert screen.run.state["final_video"]["encoding"] == "draft"
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.query("#assemble") and screen.interaction is not None, timeout=20)
        assert screen.run.run_id == run_id and "final_video" not in screen.run.state
        assert screen.run.state["selected_title"]  # earlier choices are kept
