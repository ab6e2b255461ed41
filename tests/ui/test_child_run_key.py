"""A child-run sub-action in the app: its shortcut (or m) asks for feedback, then the list the
question shows grows with what the child run made."""

from __future__ import annotations

import app_harness
from app_harness import NOW, settings_for, wait_for
from cctui.ui.screens.dialogs import FeedbackScreen
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.widgets.schema_view import SchemaView
from fakes import FakeProviders
from test_child_runs import write


async def test_in_the_app_m_asks_for_feedback_and_the_list_grows(tmp_path):
    providers = FakeProviders()
    app = app_harness.TestApp(settings_for(tmp_path), providers=providers, workflow_dir=write(tmp_path / "wf"),
                              now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query(SchemaView))
        screen = app.screen
        first = screen.interaction.interaction_id
        assert screen.check_action("more", ())
        await pilot.press("r")  # the sub-action's own shortcut (m does the same)
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press(*"snowy", "ctrl+s")
        await wait_for(pilot, lambda: screen.interaction is not None and screen.interaction.interaction_id != first)
        assert len(screen.interaction.display["data"]["scenes"]) == 4
        assert "FEEDBACK FROM USER: snowy" in str(providers.llm_provider.requests[-1].history)
