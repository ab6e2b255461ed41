"""Snapshots at 80x24 of the `user.form` table (after a submit refused a missing mood) and of the
`io.client_write` pane (after the creator typed another place). Both were looked at before they
were accepted."""

from __future__ import annotations

from app_harness import NOW, TestApp, settings_for, settle, wait_for
from cctui.ui.screens.run_screen import RunScreen
from fakes import FakeProviders
from form_write_workflow import STYLES, write_step, write_workflow

WEIGHTS = [{"_item": s, "_index": i, "weight": 50 + 10 * i, "mode": "soft", "mood": "calm"}
           for i, s in enumerate(STYLES)]


def test_the_form_table(snap_compare, tmp_path):
    app = TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=write_workflow(tmp_path / "wf"),
                  now=lambda: NOW)

    async def ready(pilot):
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#form-table"))
        await pilot.press("tab", "right", "tab", *"groovy", "down", "ctrl+s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_the_client_write_pane(snap_compare, tmp_path):
    folder = write_workflow(tmp_path / "wf", write_step(), state={"style_weights": WEIGHTS})
    app = TestApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=folder, now=lambda: NOW)

    async def ready(pilot):
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#write-path"))
        # The run's folder lies under a new temporary folder each time: the snapshot shows a typed place.
        await pilot.press("home", "ctrl+k", *"~/party/exports/")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
