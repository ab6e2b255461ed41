"""The seed format's small transforms, run in a real engine: concat_arrays, conditional_text and
render_template_array, with the shapes the seed's step files use and their errors."""

from __future__ import annotations

import json
from pathlib import Path

from cctui.records import RunStatus


def resolved(*names: str) -> dict:
    return {"type": "object", "properties": {n: {"resolver": "server"} for n in names}}


def write(root: Path, *modules: dict, state: dict | None = None) -> Path:
    root.mkdir()
    (root / "workflow.json").write_text(json.dumps({
        "workflow_id": "t", "name": "T", "initial_state": state or {},
        "steps": [{"step_id": "s", "name": "S", "modules": list(modules)}]}), encoding="utf-8")
    return root


async def run_of(engine, folder: Path):
    run = await engine.new_run(folder)
    await run.advance()
    return run


async def test_concat_and_conditional_text(fake_engine, tmp_path):
    state = {"a": [1, 2], "b": [3], "name": "Miso", "blank": "  "}
    modules = (
        {"module_id": "transform.concat_arrays", "name": "join",
         "inputs": {"arrays": ["{{ state.a }}", "{{ state.b }}", []], "resolver_schema": resolved("arrays")},
         "outputs_to_state": {"result": "joined"}},
        {"module_id": "transform.conditional_text", "name": "named",
         "inputs": {"condition_value": "{{ state.name }}", "text_if_not_empty": "Starring $state.condition_value",
                    "text_if_empty": "Starring your pet", "resolver_schema": resolved("condition_value")},
         "outputs_to_state": {"result": "credit"}},
        {"module_id": "transform.conditional_text", "name": "unnamed",
         "inputs": {"condition_value": "{{ state.blank }}", "text_if_not_empty": "x $state.condition_value",
                    "text_if_empty": "Starring your pet", "resolver_schema": resolved("condition_value")},
         "outputs_to_state": {"result": "fallback"}},
    )
    run = await run_of(fake_engine, write(tmp_path / "w", *modules, state=state))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["joined"] == [1, 2, 3]
    assert run.state["credit"] == "Starring Miso" and run.state["fallback"] == "Starring your pet"


async def test_concat_refuses_an_item_that_is_not_a_list(fake_engine, tmp_path):
    join = {"module_id": "transform.concat_arrays", "name": "join", "inputs": {"arrays": [[1], 2]},
            "outputs_to_state": {"result": "joined"}}
    run = await run_of(fake_engine, write(tmp_path / "w", join))
    assert run.status is RunStatus.ERROR and "item 1 of `arrays` is an integer, not a list" in run.error


async def test_render_template_array_renders_each_item_with_its_keys_and_loop(fake_engine, tmp_path):
    scenes = [{"title": "Nap", "_hidden": "x"}, {"title": "Zoomies"}]
    render = {"module_id": "transform.render_template_array", "name": "sections",
              "inputs": {"items": "{{ state.scenes }}", "resolver_schema": resolved("items"),
                         "template": "{{ loop.index }}/{{ loop.length }} {{ title }} for {{ state.pet }}"
                                     "{% if scene._hidden is defined %} ({{ scene._hidden }}){% endif %}",
                         "item_variable": "scene", "separator": " | "},
              "outputs_to_state": {"rendered": "text", "sections": "parts", "count": "n"}}
    run = await run_of(fake_engine, write(tmp_path / "w", render, state={"scenes": scenes, "pet": "Miso"}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["parts"] == ["1/2 Nap for Miso (x)", "2/2 Zoomies for Miso"]
    assert run.state["text"] == "1/2 Nap for Miso (x) | 2/2 Zoomies for Miso" and run.state["n"] == 2
