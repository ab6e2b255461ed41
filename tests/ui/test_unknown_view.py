"""A module whose contract names a view the app does not have: the step panel says so, naming the
module and the view, and no select list (or any other view) is shown in its place."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Static

from app_harness import NOW, settings_for, wait_for
from app_harness import TestApp as HarnessApp  # (a name starting with Test would be collected)
from cctui.engine.modules import REGISTRY
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, ModuleContract, NoInputs
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from cctui.ui.widgets.schema_view import SchemaView
from fakes import FakeProviders


class PollAnswer(Answer):
    vote: int = 0


class Poll(Module):
    module_id = "test.poll"
    contract = ModuleContract(inputs=NoInputs, outputs=frozenset({"vote"}), view="poll", answer=PollAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"prompt": "Vote", "data": [1, 2]}


def poll_workflow(tmp_path):
    root = tmp_path / "poll"
    root.mkdir()
    step = {"step_id": "vote", "name": "Vote", "modules": [
        {"module_id": "test.poll", "name": "cast_vote", "outputs_to_state": {"vote": "vote"}}]}
    (root / "workflow_v3.json").write_text(json.dumps({"workflow_id": "poll", "name": "Poll", "steps": [step]}))
    return root


async def test_a_view_the_app_lacks_is_an_error_naming_module_and_view(tmp_path, monkeypatch):
    monkeypatch.setitem(REGISTRY, Poll.module_id, Poll)  # removed again after the test
    register(Poll)
    app = HarnessApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=poll_workflow(tmp_path),
                  now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.interaction is not None
                       and app.screen.query("#error-text"))
        text = str(app.screen.query_one("#error-text", Static).content)
        assert "Module 'cast_vote' (test.poll) asks with the view 'poll'" in text
        assert "select, text_input, media, assemble" in text
        assert not app.screen.query(SchemaView)
        assert not app.screen.check_action("continue", ())  # nothing to continue with
