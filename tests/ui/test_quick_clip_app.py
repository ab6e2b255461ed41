"""Quick Clip in the real app, against the provider stand-in over HTTP with the real clients: picked
from the runs screen's workflow picker, a photo typed in, motion chosen, the photo animated and
rendered by key presses; and snapshots at 80x24 of its photo step and of its finish screen."""

from __future__ import annotations

import itertools
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from cctui.settings import SecretStr
from textual.widgets import OptionList

import app_harness
from app_harness import NOW, ROOT, settings_for, settle, wait_for, waiting_at
from cctui.engine.catalogue import Catalogue
from cctui.providers.registry import Providers
from cctui.standin import StandIn
from cctui.ui.screens.dialogs import WorkflowPickerScreen
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from pet_photo import draw_pet_photo

QUICK_CLIP = ROOT / "workflows" / "quick_clip"


def standin_settings(tmp_path: Path, standin: StandIn, data: Path | None = None):
    urls = standin.base_urls
    base = settings_for(tmp_path) if data is None else settings_for(tmp_path).model_copy(update={"data_dir": data})
    return base.model_copy(update={
        "openai_base_url": urls["openai"], "leonardo_base_url": urls["leonardo"],
        "elevenlabs_base_url": urls["elevenlabs"], "sora_base_url": urls["sora"], "demo": True,
        "openai_api_key": SecretStr("demo-key"), "leonardo_api_key": SecretStr("demo-key"),
        "elevenlabs_api_key": SecretStr("demo-key")})


async def choose_quick_clip(pilot) -> None:
    """`n` on the runs screen, then Quick Clip in the picker of the bundled workflows."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowPickerScreen))
    options = app.screen.query_one(OptionList)
    names = [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]
    assert names == ["Cuddle Crew  (cuddle_crew)", "Quick Clip  (quick_clip)"]
    await pilot.press("down", "enter")
    await wait_for(pilot, lambda: waiting_at(app, "upload_photo") and app.screen.query("#file-input-line"))


async def test_a_photo_becomes_a_rendered_clip_by_keys(tmp_path, standin):
    photo = draw_pet_photo(tmp_path / "miso.jpg")
    settings = standin_settings(tmp_path, standin)
    app = app_harness.TestApp(settings, providers=Providers(settings), now=lambda: NOW, catalogue=Catalogue())
    async with app.run_test(size=(100, 30)) as pilot:
        await choose_quick_clip(pilot)
        app.engine.services.jobs.min_poll = 0.05
        screen = app.screen
        assert screen.run.workflow.workflow_id == "quick_clip"
        await pilot.press(*str(photo), "enter")

        # The analysis runs without asking; its motion elements are the cards to choose from.
        await wait_for(pilot, lambda: waiting_at(app, "select_motion_elements"), timeout=20)
        await pilot.press("space", "down", "space", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
        media = app.screen
        upload = screen.run.run_dir / "uploads" / "miso.jpg"
        assert media.display_data["source_image"]["local_path"] == str(upload)
        assert media.query("#media-source") and media.display_data["tabs"] == ["leonardo"]
        await pilot.press("g")
        await wait_for(pilot, lambda: len(media.generations) == 1
                       and media.generations[0]["status"] == "completed", timeout=30)
        await pilot.press("enter")

        # The render form: no soundtrack was made, so no music; the frame is the clip's own.
        await wait_for(pilot, lambda: waiting_at(app, "assemble_video") and screen.query("#assemble"), timeout=20)
        form = screen.query_one("#assemble-form")
        assert (form.widget_for("music_source").value, form.widget_for("aspect_ratio").value) == ("none", "9:16")
        await pilot.press("enter")
        # The results list is filled after the preview is mounted: wait for both.
        await wait_for(pilot, lambda: screen.run.status == "completed" and screen.query("#final")
                       and screen.query("#result-source_image"), timeout=60)
        state = screen.run.state
        preview = screen.query_one("#final")
        assert preview.video_path == state["final_video"]["path"] and Path(preview.video_path).is_file()
        assert preview.picture.value == state["final_video"]["cover_path"]
        assert screen.query_one("#result-source_image").path == str(upload)
        assert upload.read_bytes() == photo.read_bytes()
        assert (Path(state["export_dir"]) / "source_image.jpg").read_bytes() == photo.read_bytes()
        assert standin.count("POST", r"/init-image$", regex=True) == 1


# ---------------------------------------------------------------------------- snapshots (80x24)

def test_snapshot_photo_step(snap_compare, tmp_path, standin):
    settings = standin_settings(tmp_path, standin)
    app = app_harness.TestApp(settings, providers=Providers(settings), now=lambda: NOW, catalogue=Catalogue())

    async def ready(pilot):
        await choose_quick_clip(pilot)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


FINISHED = Path("/tmp/cctui-snapshot-quick-clip")  # fixed, so the paths on the finish screen never change


def _finish_a_run(standin: StandIn) -> None:
    """A finished run with fixed ids, made through the engine against the stand-in."""
    import asyncio
    import shutil

    from cctui.batch import BatchRunner, load_answers
    from cctui.engine.engine import Engine

    shutil.rmtree(FINISHED, ignore_errors=True)
    photo = draw_pet_photo(FINISHED / "pet.png")
    answers = load_answers(ROOT / "examples" / "quick-clip-answers.json")
    answers["upload_photo"] = {"value": str(photo)}
    settings = standin_settings(FINISHED, standin, FINISHED / "data")
    counter = itertools.count(1)

    async def main():
        providers = Providers(settings)
        engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
        engine.services.jobs.min_poll = 0.05
        await BatchRunner(engine, answers, out=lambda s: None).run(QUICK_CLIP)
        await engine.close()
        await providers.aclose()

    # Only the store's ids and run date are fixed (the first 12 hex digits of a uuid: the counter in
    # the top bits); the stand-in, in a thread of this process, keeps the real uuid and time.
    ids = SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter) << 80))
    clock = SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    clock.strftime = lambda fmt, *when: "20261125-120000-"
    with mock.patch("cctui.store.db.uuid", ids), mock.patch("cctui.store.db.time", clock):
        asyncio.run(main())


@pytest.fixture
def finished_to_ourselves():
    with app_harness.taken_in_turn(FINISHED):
        yield


def test_snapshot_finish_screen(snap_compare, tmp_path, standin, finished_to_ourselves):
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(_finish_a_run, standin).result()
    settings = standin_settings(FINISHED, standin, FINISHED / "data")
    app = app_harness.TestApp(settings, providers=Providers(settings), now=lambda: NOW, catalogue=Catalogue())

    async def ready(pilot):
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.query_one("DataTable").row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(isinstance(s, RunScreen) and s.query("#final") for s in app.screen_stack))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
