"""The text pane of a seed-format step: its prompt template shown rendered, the rule
(`allow_empty: false`) said in the hint, and an empty answer refused with that rule named."""

from __future__ import annotations

import json

from textual.widgets import Input, Static

from app_harness import NOW, settings_for, wait_for
from app_harness import TestApp as HarnessApp  # (a name starting with Test would be collected)
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from fakes import FakeProviders


def naming_workflow(tmp_path):
    root = tmp_path / "naming"
    root.mkdir()
    ask = {"module_id": "user.text_input", "name": "ask_name", "outputs_to_state": {"text": "pet_name"},
           "inputs": {"prompt": "A name for {{ state.owner }}'s new puppy", "allow_empty": False}}
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "naming", "name": "Naming", "initial_state": {"owner": "Ana"},
        "steps": [{"step_id": "name", "name": "Name", "modules": [ask]}]}))
    return root


async def test_a_required_seed_text_input_says_so_and_refuses_an_empty_answer(tmp_path):
    app = HarnessApp(settings_for(tmp_path), providers=FakeProviders(), workflow_dir=naming_workflow(tmp_path),
                     now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#text-input-line"))
        texts = [str(w.content) for w in app.screen.query(Static)]
        assert "A name for Ana's new puppy" in texts
        assert any("required: an empty answer is refused" in t for t in texts)
        assert not any("optional" in t for t in texts)
        app.screen.query_one("#text-input-line", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("allow_empty is false" in n.message for n in app._notifications))
        assert app.screen.run.status == "waiting"
