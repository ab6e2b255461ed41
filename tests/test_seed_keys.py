"""Keys of the seed system's format on retry options and sub-actions: `hidden` and
`validations` (errors block, warnings ask for confirmation) are carried out; what cctui does not
do (an unknown action type, `result_mapping`, feedback or a shortcut on a sub-action that runs no
child run, `retryable.feedback`) is a warning of `cctui validate` naming the key, with its file and JSON path, never an error or
silence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.cli import main
from cctui.engine.engine import Engine, load
from cctui.engine.errors import AnswerError, ConfirmNeeded
from cctui.workflow.errors import WorkflowErrors
from fakes import FakeProviders

THEMES = ["garden", "pirates", "disco"]


def pick_themes(**retryable) -> dict:
    return {
        "module_id": "user.select", "name": "pick_themes",
        "inputs": {"data": THEMES, "multi_select": True, "prompt": "Themes"},
        "outputs_to_state": {"selected_indices": "theme_indices"},
        "sub_actions": [{"id": "more_themes", "label": "More themes", "loading_label": "Thinking...",
                         "shortcut": "m", "actions": [{"type": "webhook", "url": "https://example.com"}],
                         "result_mapping": [{"source": "themes", "target": "themes", "mode": "merge"}],
                         "feedback": {"enabled": True, "prompt": "More like?", "state_key": "_fb"}}],
        "retryable": {
            "feedback": {"global": True, "per_group": False},
            "options": [
                {"id": "continue", "label": "Use these", "mode": "continue",
                 "validations": [
                     {"id": "two", "rule": "min_selections", "min": 2, "severity": "error",
                      "message": "Pick at least two themes", "validator": ["webui", "server"]},
                     {"id": "sure", "rule": "response_field_not_empty", "field": "selected_indices",
                      "severity": "warning", "message": "Sure?"}]},
                {"id": "secret", "label": "Secret", "mode": "continue", "hidden": True}],
            **retryable},
    }


def write(root: Path, module: dict) -> Path:
    root.mkdir()
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "party", "name": "Party",
        "steps": [{"step_id": "plan", "name": "Plan", "modules": [module]}]}), encoding="utf-8")
    return root


def test_what_cctui_does_not_do_yet_is_a_warning_naming_each_key(tmp_path, capsys):
    folder = write(tmp_path / "party", pick_themes())
    workflow = load(folder)
    where = {(w.file, w.path) for w in workflow.warnings}
    base = "$.steps[0].modules[0]"
    assert where == {("party/workflow_v3.json", f"{base}.sub_actions[0].{key}")
                     for key in ("actions[0].type", "result_mapping", "feedback", "shortcut")} | {
        ("party/workflow_v3.json", f"{base}.retryable.feedback")}
    assert main(["validate", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith("ok: 1 step, 5 warning(s)")
    assert [line.startswith("warning: ") for line in err.splitlines()] == [True] * 5
    assert "action type 'webhook' is not done by cctui" in err and "Traceback" not in err


def test_hidden_options_are_not_listed_and_a_hidden_bar_lists_none(tmp_path):
    workflow = load(write(tmp_path / "a", pick_themes()))
    retryable = workflow.steps[0].modules[0].retryable
    assert [o.id for o in retryable.shown()] == ["continue"]
    hidden_bar = load(write(tmp_path / "b", pick_themes(hidden=True))).steps[0].modules[0].retryable
    assert hidden_bar.shown() == [] and hidden_bar.option("secret") is not None  # still taken by id


async def test_an_error_validation_refuses_the_option_until_the_answer_fits(tmp_path):
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    try:
        run = await engine.new_run(write(tmp_path / "party", pick_themes()))
        await run.advance()
        inter = await run.pending()
        with pytest.raises(AnswerError, match="Use these: Pick at least two themes"):
            await run.choose(inter.interaction_id, "continue", answer={"selected_indices": [1]})
        # A plain answer goes on by the continue option, so its checks apply to it too.
        with pytest.raises(AnswerError, match="Use these: Pick at least two themes"):
            await run.answer(inter.interaction_id, {"selected_indices": [2]})
        assert (await run.pending()).interaction_id == inter.interaction_id  # still asking
        assert await run.choose(inter.interaction_id, "continue", answer={"selected_indices": [0, 2]}) == "completed"
        assert run.state["theme_indices"] == [0, 2]
    finally:
        await engine.close()


def test_a_generation_step_needs_each_sub_action_to_name_what_it_makes(tmp_path):
    module = {"module_id": "media.generate", "name": "make_poster",
              "inputs": {"schema": {"type": "object", "properties": {"leo": {
                  "type": "object", "_ux": {"render_as": "tab.media", "provider": "leonardo"}}}}},
              "outputs_to_state": {"selected_content": "poster"},
              "sub_actions": [{"id": "generate", "label": "Generate", "loading_label": "..."}]}
    with pytest.raises(WorkflowErrors) as info:
        load(write(tmp_path / "poster", module))
    (problem,) = info.value.errors
    assert (problem.file, problem.path) == ("poster/workflow_v3.json", "$.steps[0].modules[0].sub_actions[0]")
    assert "names no action_type" in problem.reason


def warn_if_fewer_than_three() -> dict:
    module = pick_themes()
    module.pop("sub_actions")
    module["retryable"] = {"default_option": "continue", "options": [
        {"id": "continue", "label": "Use these", "mode": "continue", "validations": [
            {"id": "three", "rule": "min_selections", "min": 3, "severity": "warning",
             "message": "Fewer than three themes makes a short party."}]}]}
    return module


async def test_a_warning_validation_asks_for_confirmation_and_goes_on_once_confirmed(tmp_path):
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    try:
        folder = write(tmp_path / "party", warn_if_fewer_than_three())
        assert load(folder).warnings == []  # carried out, so nothing to warn of
        run = await engine.new_run(folder)
        await run.advance()
        inter = await run.pending()
        with pytest.raises(ConfirmNeeded) as info:
            await run.answer(inter.interaction_id, {"selected_indices": [0]})
        assert info.value.warnings == [("three", "Fewer than three themes makes a short party.")]
        assert "Confirm to go on anyway" in str(info.value)
        assert (await run.pending()).interaction_id == inter.interaction_id
        # The answers file's way: the confirmed ids with the answer.
        status = await run.answer(inter.interaction_id, {"selected_indices": [0], "confirmed_warnings": ["three"]})
        assert status == "completed" and run.state["theme_indices"] == [0]
    finally:
        await engine.close()


async def test_a_confirmed_warning_is_kept_for_the_waiting_question_only(tmp_path):
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    try:
        run = await engine.new_run(write(tmp_path / "party", warn_if_fewer_than_three()))
        await run.advance()
        inter = await run.pending()
        run.confirm_warnings(inter.interaction_id + 1, ["three"])  # another question's: no effect
        with pytest.raises(ConfirmNeeded):
            await run.answer(inter.interaction_id, {"selected_indices": [1]})
        run.confirm_warnings(inter.interaction_id, ["three"])  # the app's way: confirm, then answer
        assert await run.answer(inter.interaction_id, {"selected_indices": [1]}) == "completed"
    finally:
        await engine.close()


def test_batch_names_the_check_to_confirm(tmp_path, capsys):
    folder = write(tmp_path / "party", warn_if_fewer_than_three())
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"pick_themes": {"select": [0]}}), encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "data"), "run", str(folder), "--answers", str(answers)]) != 0
    err = capsys.readouterr().err
    assert 'add "confirmed_warnings": ["three"] to this answer' in err and "Traceback" not in err
    answers.write_text(json.dumps({"pick_themes": {"select": [0], "confirmed_warnings": ["three"]}}),
                       encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "data"), "run", str(folder), "--answers", str(answers)]) == 0
