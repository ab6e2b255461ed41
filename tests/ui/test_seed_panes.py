"""The seed format's own panes in the app: `user.pause` (message, preview rendered from the state,
the state folded away, enter goes on) and `user.file_input` (a path typed, checked, copied)."""
from __future__ import annotations

import json
from pathlib import Path

import app_harness
from app_harness import NOW, settings_for, wait_for
from cctui.ui.screens.run_screen import RunScreen
from fakes import FakeProviders

PARTY = {
    "workflow_id": "party", "name": "Party", "initial_state": {"pet_name": "Miso"},
    "steps": [{"step_id": "check", "name": "Check", "modules": [
        {"module_id": "user.pause", "name": "look",
         "inputs": {"message": "Does this read well?", "jinja2_test": "A party for {{ state.pet_name }}!",
                    "show_state": True},
         "outputs_to_state": {"confirmed": "looked"}},
        {"module_id": "io.render_template", "name": "invite",
         "inputs": {"template": "Come to {{ state.pet_name }}'s party"}, "outputs_to_state": {"text": "invite"}}]}],
}


def write_party(tmp_path: Path) -> Path:
    folder = tmp_path / "party"
    folder.mkdir()
    (folder / "workflow.json").write_text(json.dumps(PARTY), encoding="utf-8")
    return folder


def party_app(tmp_path: Path) -> app_harness.TestApp:
    return app_harness.TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=write_party(tmp_path),
                               now=lambda: NOW)


async def start_party(pilot) -> RunScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.query("#pause-continue"))
    return pilot.app.screen


async def test_a_pause_shows_its_preview_and_enter_goes_on(tmp_path):
    app = party_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_party(pilot)
        assert str(screen.query_one(".pane-title").content) == "Does this read well?"
        assert str(screen.query_one("#pause-preview").content) == "A party for Miso!"
        assert screen.focused is screen.query_one("#pause-continue")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.run.status == "completed")
        assert screen.run.state["looked"] is True and screen.run.state["invite"] == "Come to Miso's party"


async def test_a_file_input_takes_a_typed_path_and_refuses_a_wrong_one(tmp_path):
    from PIL import Image

    picture = tmp_path / "miso.png"
    Image.new("RGB", (8, 8), (200, 80, 40)).save(picture)
    folder = tmp_path / "photo"
    folder.mkdir()
    (folder / "workflow.json").write_text(json.dumps({
        "workflow_id": "photo", "name": "Photo", "steps": [{"step_id": "pick", "name": "Pick", "modules": [
            {"module_id": "user.file_input", "name": "photo", "inputs": {"prompt": "Your pet's photo",
                                                                          "extensions": ["png", "jpg"]},
             "outputs_to_state": {"value": "photo_path", "filename": "photo_name"}}]}]}), encoding="utf-8")
    app = app_harness.TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=folder, now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#file-input-line"))
        screen = app.screen
        assert "(.png, .jpg; a copy goes into the run)" in str(screen.query(".pane-hint").last().content)
        await pilot.press(*str(tmp_path / "notes.txt"), "enter")
        await wait_for(pilot, lambda: any("does not exist" in str(n.message) for n in app._notifications))
        await wait_for(pilot, lambda: screen.query("#file-input-line"))
        await pilot.press(*str(picture), "enter")
        await wait_for(pilot, lambda: screen.run.status == "completed")
        copy = Path(screen.run.state["photo_path"])
        assert copy.read_bytes() == picture.read_bytes() and copy.parent.name == "uploads"
        assert screen.run.state["photo_name"] == "miso.png"


async def test_a_workflow_without_declared_results_finishes_with_its_last_texts(tmp_path):
    app = party_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_party(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#final"))
        screen = app.screen
        assert str(screen.query_one("#result-invite").content) == "Come to Miso's party"
        assert screen.check_action("copy_captions", ()) and not screen.check_action("open_video", ())
