"""The `user.form` table and the `io.client_write` pane in the app, driven by keys: a row the
schema refuses is shown at its cell with the other values kept; the file is written where the
creator chose, a place that cannot be used is shown and another can be typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import app_harness
from app_harness import NOW, settings_for, wait_for
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.widgets.choice_cell import ChoiceCell
from cctui.ui.widgets.client_write_pane import ClientWritePane
from cctui.ui.widgets.form_table import FormTable
from fakes import FakeProviders
from form_write_workflow import STYLES, write_step, write_workflow
from textual.widgets import Input, Static

WEIGHTS = [{"_item": s, "_index": i, "weight": 50, "mode": "soft", "mood": "calm"} for i, s in enumerate(STYLES)]


def styles_app(folder: Path, tmp_path: Path) -> app_harness.TestApp:
    return app_harness.TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=folder,
                               now=lambda: NOW)


async def start(pilot, selector: str) -> RunScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.query(selector))
    return pilot.app.screen


def error_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_form_is_filled_row_by_row_and_a_refused_value_is_shown_at_its_cell(tmp_path, size):
    app = styles_app(write_workflow(tmp_path / "wf"), tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, "#form-table")
        table = screen.query_one(FormTable)
        assert str(screen.query_one(".pane-title").content) == "How much of each style for Miso's party?"
        assert [str(s.content) for s in table.query(".form-row .form-item")] == [
            "1. Disco · 1970s", "2. Garden tea · Victorian", "3. Space · Future"]
        assert screen.focused is table.grid[0][0] and table.grid[0][0].value == "50"
        submit = screen.active_bindings["ctrl+s"]
        assert submit.binding.description == "Submit form" and submit.binding.show and submit.enabled

        await pilot.press("ctrl+s")  # the mood is required: the first empty one is named and focused
        await pilot.pause()
        assert error_text(screen, "#form-error") == "Row 1 (Disco · 1970s): Mood is required; fill it in"
        assert screen.focused is table.grid[0][2] and table.grid[0][2].has_class("-refused")

        await pilot.press(*"groovy", "down", *"calm", "down", *"silly")  # down: the same field, next row
        await pilot.press("up", "up", "shift+tab", "right")  # row 1's mode: soft -> bold
        assert isinstance(screen.focused, ChoiceCell) and screen.focused.value == "bold"
        await pilot.press("shift+tab", "backspace", "backspace", *"150", "ctrl+s")
        await pilot.pause()
        assert error_text(screen, "#form-error") == "Row 1 (Disco · 1970s): Weight: 150 is outside 0..100"
        assert screen.focused is table.grid[0][0] and table.grid[0][2].value == "groovy"  # nothing typed is lost

        await pilot.press("backspace", "backspace", "backspace", *"75", "tab", "tab", "tab", "backspace", "8")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.query("#client-write"))
        assert [(r["_index"], r["weight"], r["mode"], r["mood"]) for r in screen.run.state["style_weights"]] == [
            (0, 75, "bold", "groovy"), (1, 58, "soft", "calm"), (2, 50, "soft", "silly")]
        assert screen.run.state["style_weights"][1]["_item"] == STYLES[1]


def write_only(tmp_path: Path) -> Path:
    return write_workflow(tmp_path / "wf", write_step(), state={"style_weights": WEIGHTS})


async def test_the_file_is_written_where_the_creator_chose_after_a_place_that_fails(tmp_path):
    app = styles_app(write_only(tmp_path), tmp_path)
    (tmp_path / "exports").mkdir()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, "#client-write")
        run_dir = screen.run.run_dir
        assert str(screen.query_one(".pane-title").content) == "Write party_styles.json"
        path = screen.query_one("#write-path", Input)
        assert path.value == str(run_dir / "party_styles.json") and screen.focused is path
        preview = str(screen.query_one("#write-preview Static", Static).content)
        assert json.loads(preview) == WEIGHTS

        missing = tmp_path / "nowhere" / "w.json"
        await pilot.press("home", "ctrl+k", *str(missing), "enter")
        await wait_for(pilot, lambda: "does not exist" in error_text(screen, "#write-error"))
        assert f"the folder {missing.parent} does not exist; create it or choose another place" in error_text(
            screen, "#write-error")
        assert path.value == str(missing) and screen.focused is path  # kept, to be changed
        assert screen.interaction.module_name == "save_weights" and not missing.parent.exists()

        await pilot.press("home", "ctrl+k", *str(tmp_path / "exports"), "enter")  # a folder: the file goes in
        await wait_for(pilot, lambda: screen.interaction is not None and screen.interaction.module_name == "save_note")
        written = tmp_path / "exports" / "party_styles.json"
        assert json.loads(written.read_text(encoding="utf-8")) == WEIGHTS
        assert screen.run.state["weights_path"] == str(written)
        assert not (run_dir / "party_styles.json").exists()

        await wait_for(pilot, lambda: screen.query("#write-path") and screen.focused is screen.query_one("#write-path"))
        assert screen.query_one("#write-path", Input).value == str(run_dir / "ws" / "party_note.txt")
        await pilot.press("enter")  # the default: the run's ws folder, made for it
        await wait_for(pilot, lambda: screen.run.status == "completed")
        assert (run_dir / "ws" / "party_note.txt").read_text(encoding="utf-8") == "Party for Miso: 3 styles"


async def test_a_filename_that_leads_out_of_the_folder_stops_the_step_with_the_field_named(tmp_path):
    app = styles_app(write_workflow(tmp_path / "wf", write_step(json_name="../up.json"),
                                    state={"style_weights": WEIGHTS}), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, "#error-text")
        assert ("module 'save_weights' (io.client_write): input `filename` '../up.json' is not a plain file name"
                in str(screen.query_one("#error-text").content))
        assert not list(tmp_path.rglob("up.json"))
