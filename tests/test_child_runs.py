"""Sub-actions that run other modules as a hidden child run (the seed format's
`target_sub_action`): on a copy of the state, with the creator's feedback, mapped back by
`result_mapping` (`merge` appends to the list), the question asked again over the grown list; in
the engine, in batch mode (never run twice after a kill), and refused at load when a referenced module does not exist or asks the creator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.batch import BatchRunner
from cctui.engine.engine import load
from cctui.engine.errors import AnswerError
from cctui.workflow.errors import WorkflowErrors

SCENES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["scenes"],
    "properties": {"scenes": {"type": "array", "minItems": 2, "maxItems": 2, "items": {
        "type": "object", "additionalProperties": False, "required": ["title", "scene_keywords"],
        "properties": {"title": {"type": "string"}, "scene_keywords": {"type": "array", "minItems": 1, "maxItems": 1,
                                                                       "items": {"type": "object", "additionalProperties": False,
                                                                                 "required": ["keyword"], "properties": {"keyword": {"type": "string"}}}}}}}},
}
DISPLAY = {"type": "object", "properties": {"scenes": {"type": "array", "items": {
    "type": "object", "_ux": {"selectable": True}, "properties": {"title": {"type": "string"}}}}}}


def modules(regenerate: dict | None = None) -> list[dict]:
    return [
        {"module_id": "api.llm", "name": "generate_scenes",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"input": {"resolver": "server"}}},
                    "input": "Scenes for a {{ state.pet }}", "output_schema": SCENES_SCHEMA},
         "outputs_to_state": {"response": "scene_concepts"}},
        {"module_id": "transform.query", "name": "flatten_keywords",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"data": {"resolver": "server"}}},
                    "data": "{{ state.scene_concepts.scenes }}",
                    "pipeline": [{"$unwind": "$scene_keywords"}, {"$replaceRoot": {"newRoot": "$scene_keywords"}},
                                 {"$addFields": {"source": "generated", "weight": 1}}]},
         "outputs_to_state": {"result": "flattened_keywords"}},
        {"module_id": "io.weighted_keywords", "name": "save_keywords",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"weighted_keywords": {"resolver": "server"}}},
                    "mode": "save", "weighted_keywords": "{{ state.flattened_keywords }}"},
         "outputs_to_state": {"saved_count": "keywords_saved"}},
        {"module_id": "user.select", "name": "select_scene",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"data": {"resolver": "server"}}},
                    "data": "{{ state.scene_concepts }}", "schema": DISPLAY, "prompt": "Pick a scene"},
         "outputs_to_state": {"selected_data": "selected_scene"},
         "sub_actions": [regenerate or {
             "id": "regenerate_scenes", "label": "Generate New Scenes", "shortcut": "r",
             "loading_label": "Generating new scenes...",
             "actions": [{"type": "target_sub_action", "ref": {"step_id": "scenes", "module_name": name}}
                         for name in ("generate_scenes", "flatten_keywords", "save_keywords")],
             "result_mapping": [{"source": "scene_concepts.scenes", "target": "scene_concepts.scenes",
                                 "mode": "merge"}],
             "feedback": {"enabled": True, "prompt": "What would you like different?",
                          "state_key": "_retry_feedback"}}]},
    ]


def write(root: Path, mods: list[dict] | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "scenes_wf", "name": "Scenes", "initial_state": {"pet": "cat"},
        "steps": [{"step_id": "scenes", "name": "Scenes", "modules": mods or modules()}]}), encoding="utf-8")
    return root


async def waiting_select(engine, folder: Path):
    run = await engine.new_run(folder)
    assert await run.advance() == "waiting"
    return run, await run.pending()


async def test_a_child_run_merges_new_scenes_and_asks_again(tmp_path, fake_engine):
    run, first = await waiting_select(fake_engine, write(tmp_path / "wf"))
    assert len(first.display["data"]["scenes"]) == 2
    before = await fake_engine.services.store.keywords("scenes_wf")
    assert await run.run_child(first.interaction_id, "regenerate_scenes", "  more snow  ") == "waiting"
    again = await run.pending()
    assert again.interaction_id != first.interaction_id and again.module_name == "select_scene"
    titles = [s["title"] for s in again.display["data"]["scenes"]]
    assert len(titles) == 4 and titles[:2] == [s["title"] for s in first.display["data"]["scenes"]]
    llm = fake_engine.services.providers.llm()
    assert llm.requests[-1].history == [{"role": "user", "content": "FEEDBACK FROM USER: more snow"}]
    assert len(await fake_engine.services.store.keywords("scenes_wf")) >= len(before)  # saved in the child
    # The child's own state stays its own: only the mapped key reached the run.
    assert "_retry_feedback" not in run.state
    assert await run.answer(again.interaction_id, {"selected_indices": [3]}) == "completed"
    assert run.state["selected_scene"]["title"] == titles[3]


async def test_a_failing_child_changes_nothing_and_the_question_stays(tmp_path, fake_engine):
    run, first = await waiting_select(fake_engine, write(tmp_path / "wf"))
    state = json.dumps(run.state, sort_keys=True)
    fake_engine.services.providers.llm().bad_answers_left = 2
    with pytest.raises(AnswerError, match="Generate New Scenes: module 'generate_scenes' failed, nothing was changed"):
        await run.run_child(first.interaction_id, "regenerate_scenes")
    assert json.dumps(run.state, sort_keys=True) == state
    assert (await run.pending()).interaction_id == first.interaction_id


@pytest.mark.parametrize("ref, reason", [
    ({"step_id": "nope", "module_name": "generate_scenes"}, "no step with step_id 'nope'"),
    ({"step_id": "scenes", "module_name": "nope"}, "no module named 'nope' in step 'scenes'"),
    ({"step_id": "scenes", "module_name": "select_scene"}, "asks the creator, which a child run cannot do"),
])
def test_a_child_reference_is_checked_at_load(tmp_path, ref, reason):
    regenerate = {"id": "again", "label": "Again", "actions": [{"type": "target_sub_action", "ref": ref}]}
    with pytest.raises(WorkflowErrors) as info:
        load(write(tmp_path / "wf", modules(regenerate)))
    (problem,) = info.value.errors
    assert problem.path == "$.steps[0].modules[3].sub_actions[0].actions[0].ref." + (
        "step_id" if ref["step_id"] == "nope" else "module_name")
    assert reason in problem.reason


def test_the_seed_keys_of_a_child_sub_action_are_acted_on(tmp_path):
    assert load(write(tmp_path / "wf")).warnings == []


async def test_batch_runs_the_child_once_even_after_a_stop(tmp_path, fake_engine):
    folder = write(tmp_path / "wf")
    answers = {"select_scene": {"sub_actions": [{"id": "regenerate_scenes", "feedback": "more snow"}],
                                "select": 3}}
    lines: list[str] = []
    run = await BatchRunner(fake_engine, answers, out=lines.append).run(folder)
    assert run.status == "completed" and len(run.state["scene_concepts"]["scenes"]) == 4
    assert any("Generate New Scenes" in line for line in lines)
    # A run stopped after its child run (before the answer) is driven on without a second one.
    run2, first = await waiting_select(fake_engine, folder)
    await run2.run_child(first.interaction_id, "regenerate_scenes", "more snow")
    calls = len(fake_engine.services.providers.llm().requests)
    resumed = await BatchRunner(fake_engine, answers, out=lambda s: None).drive(run2)
    assert resumed.status == "completed" and len(fake_engine.services.providers.llm().requests) == calls
    assert len(resumed.state["scene_concepts"]["scenes"]) == 4
