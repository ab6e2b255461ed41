"""The seed system's semantics where they differ from cctui's own: a module's raw outputs are in
the state under its name; a path nothing set reads as empty unless the workflow asks for errors
(and `validate` warns of each such read); single-select indices are item paths with integer
positions; `api.llm` takes `ai_config`; `io.render_template` also outputs `rendered`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.cli import main
from cctui.engine.engine import load
from cctui.engine.errors import AnswerError
from cctui.workflow.errors import WorkflowErrors

SCENES = {"scenes": [{"title": "Nap"}, {"title": "Zoomies"}, {"title": "Bath"}]}


def write_workflow(root: Path, *modules: dict, **top) -> Path:
    root.mkdir()
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "party", "name": "Party", "initial_state": {"pet": "cat"}, **top,
        "steps": [{"step_id": "plan", "name": "Plan", "modules": list(modules)}]}), encoding="utf-8")
    return root


def select_scene(multi: bool = False) -> dict:
    schema = {"type": "object", "properties": {"scenes": {"type": "array", "items": {
        "type": "object", "_ux": {"selectable": True}, "properties": {"title": {"type": "string"}}}}}}
    return {"module_id": "user.select", "name": "select_scene",
            "inputs": {"data": SCENES, "schema": schema, "multi_select": multi, "mode": "select"},
            "outputs_to_state": {"selected_indices": "scene_indices"}}


def summary(template: str) -> dict:
    return {"module_id": "io.render_template", "name": "summary", "inputs": {"template": template},
            "outputs_to_state": {"rendered": "summary_text"}}


async def answered(engine, folder: Path, answer: dict):
    run = await engine.new_run(folder)
    await run.advance()
    await run.answer((await run.pending()).interaction_id, answer)
    return run


async def test_raw_outputs_are_read_by_module_name_and_indices_index_the_data(tmp_path, fake_engine):
    folder = write_workflow(tmp_path / "wf", select_scene(), summary(
        "{{ state.select_scene.selected_data.title }} / "
        "{% set ind = state.scene_indices %}{{ state.select_scene.selected_indices[0] }}:{{ ind[1] }}"))
    run = await answered(fake_engine, folder, {"selected_indices": [1]})
    assert run.status == "completed"
    # Unwrapped path with an integer position, as a template indexes it: state.x[ind[0]][ind[1]].
    assert run.state["scene_indices"] == ["scenes", 1]
    assert run.state["select_scene"] == {"selected_indices": ["scenes", 1], "selected_data": {"title": "Zoomies"}}
    assert run.state["summary_text"] == "Zoomies / scenes:1"
    assert run.state["summary"]["rendered"] == run.state["summary"]["text"] == "Zoomies / scenes:1"


async def test_an_answer_may_name_items_by_path(tmp_path, fake_engine):
    single = await answered(fake_engine, write_workflow(tmp_path / "a", select_scene()),
                            {"selected_indices": ["scenes", 2]})
    assert single.state["select_scene"]["selected_data"] == {"title": "Bath"}
    multi = await answered(fake_engine, write_workflow(tmp_path / "b", select_scene(multi=True)),
                           {"selected_indices": [["scenes", 0], ["scenes", 2]]})
    assert multi.state["scene_indices"] == [["scenes", 0], ["scenes", 2]]
    assert [s["title"] for s in multi.state["select_scene"]["selected_data"]] == ["Nap", "Bath"]
    run = await fake_engine.new_run(write_workflow(tmp_path / "c", select_scene()))
    await run.advance()
    with pytest.raises(AnswerError, match=r"\['songs', 1\] is not an item here: items are chosen as "
                                          r"\['scenes', 0\]"):
        await run.answer((await run.pending()).interaction_id, {"selected_indices": ["songs", 1]})


async def test_a_list_root_keeps_plain_positions(tmp_path, fake_engine):
    module = {"module_id": "user.select", "name": "pick", "inputs": {"data": ["a", "b", "c"], "multi_select": True},
              "outputs_to_state": {"selected_indices": "picked"}}
    run = await answered(fake_engine, write_workflow(tmp_path / "wf", module), {"selected_indices": [0, 2]})
    assert run.state["picked"] == [0, 2]


async def test_going_back_discards_the_raw_outputs_too(tmp_path, fake_engine):
    run = await answered(fake_engine, write_workflow(tmp_path / "wf", select_scene(), {
        "module_id": "user.text_input", "name": "note", "inputs": {"prompt": "Note"},
        "outputs_to_state": {"text": "note"}}), {"selected_indices": [0]})
    assert "select_scene" in run.state
    await run.jump_to("plan", "select_scene")
    assert "select_scene" not in run.state and "scene_indices" not in run.state


async def test_a_lenient_workflow_renders_a_path_nothing_set_as_empty(tmp_path, fake_engine):
    folder = write_workflow(tmp_path / "wf", select_scene(), summary(
        "[{{ state.selected_scene.selected_data.hook }}][{{ state.never.set }}]"
        "{% for x in state.nothing %}x{% endfor %}{% if not state.nope %}ok{% endif %}"))
    run = await answered(fake_engine, folder, {"selected_indices": [0]})
    assert run.status == "completed" and run.state["summary_text"] == "[][]ok"


async def test_a_single_expression_on_a_path_nothing_set_is_null(tmp_path, fake_engine):
    pick = {"module_id": "user.select", "name": "pick",
            "inputs": {"resolver_schema": {"type": "object", "properties": {"data": {"resolver": "server"}}},
                       "data": ["{{ state.pet }}", "{{ state.missing.value }}"]},
            "outputs_to_state": {"selected_data": "chosen"}}
    run = await answered(fake_engine, write_workflow(tmp_path / "wf", pick), {"selected_indices": [1]})
    assert run.state["chosen"] is None


async def test_a_strict_workflow_stops_on_it_with_the_path(tmp_path, fake_engine):
    folder = write_workflow(tmp_path / "wf", select_scene(), summary("{{ state.select_scene.selected_data.hook }}"),
                            undefined_paths="error")
    run = await answered(fake_engine, folder, {"selected_indices": [0]})
    assert run.status == "error"
    assert "state.select_scene.selected_data.hook is not set" in run.error
    assert "wf/workflow_v3.json at $.steps[0].modules[1]" in run.error


def test_validate_warns_of_every_path_nothing_can_set(tmp_path, capsys):
    folder = write_workflow(tmp_path / "wf", select_scene(), summary(
        "{{ state.select_scene.select_data.hook }} {{ state.selected_scene }} {{ state.select_scene.selected_data }}"
        " {{ state.pet }}"))
    workflow = load(folder)
    found = sorted((w.path, w.reason) for w in workflow.warnings)
    assert [path for path, _ in found] == ["$.steps[0].modules[1].inputs.template"] * 2
    reasons = " | ".join(reason for _, reason in found)
    assert "reads state.select_scene.select_data, but module 'select_scene' has no output 'select_data' " \
           "(its outputs: selected_data, selected_indices)" in reasons
    assert "reads state.selected_scene, which no earlier module writes" in reasons
    assert "it renders empty here (undefined_paths is \"empty\")" in reasons
    assert main(["validate", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "2 warning(s)" in out and "select_data" in err and "Traceback" not in err


def test_a_strict_workflow_refuses_the_same_reads(tmp_path):
    folder = write_workflow(tmp_path / "wf", select_scene(), summary("{{ state.select_scene.select_data.hook }}"),
                            undefined_paths="error")
    with pytest.raises(WorkflowErrors) as info:
        load(folder)
    (problem,) = info.value.errors
    assert problem.path == "$.steps[0].modules[1].inputs.template"
    assert "module 'select_scene' has no output 'select_data'" in problem.reason


async def test_ai_config_chooses_the_model_before_the_inputs(tmp_path, fake_engine):
    schema = {"type": "object", "properties": {"t": {"type": "string"}}, "required": ["t"],
              "additionalProperties": False}
    llm = {"module_id": "api.llm", "name": "ask",
           "inputs": {"input": "Hi", "output_schema": schema, "model": "from-input",
                      "ai_config": {"model": "from-ai-config", "temperature": 0.3}},
           "outputs_to_state": {"response": "answer"}}
    folder = write_workflow(tmp_path / "wf", llm)
    workflow = load(folder)
    assert [(w.path, w.reason) for w in workflow.warnings] == [
        ("$.steps[0].modules[0].inputs.ai_config.temperature",
         "ai_config.temperature is not sent by cctui (it uses ai_config's provider and model)")]
    run = await fake_engine.new_run(folder)
    assert await run.advance() == "completed"
    assert fake_engine.services.providers.llm().requests[-1].model == "from-ai-config"
    assert set(run.state["ask"]) >= {"response", "_raw"}


def test_review_mode_is_a_warning(tmp_path):
    module = select_scene()
    module["inputs"]["mode"] = "review"
    (warning,) = load(write_workflow(tmp_path / "wf", module)).warnings
    assert warning.path == "$.steps[0].modules[0].inputs.mode" and "plain select" in warning.reason
