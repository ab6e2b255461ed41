"""`transform.build_dynamic_schema` and `prompt.build_grouped_prompt` in a real engine, with the
seed's provider groups: each group's schema and instructions, picked by the keys a multi-select
gives, merged into one answer schema and one system prompt; and their errors."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from one_step_workflow import finish, resolved, write


def group_schema(*fields: str) -> dict:
    return {"type": "object", "properties": {"prompts": {
        "type": "object", "properties": {f: {"type": "object", "properties": {"prompt": {"type": "string"}},
                                             "required": ["prompt"], "additionalProperties": False}
                                         for f in fields},
        "required": list(fields), "additionalProperties": False}}}


GROUPS = {
    "leonardo": {"label": "Leonardo", "schema": group_schema("leonardo"),
                 "prompt_instructions": "## Leonardo\nShort, vivid prompts."},
    "midjourney": {"label": "Midjourney", "schema": group_schema("midjourney", "midjourney_alt"),
                   "prompt_instructions": "## Midjourney\nUse --ar 9:16."},
    "openai": {"label": "OpenAI", "schema": group_schema("openai")},
}


def schema_module(**inputs) -> dict:
    return {"module_id": "transform.build_dynamic_schema", "name": "schema",
            "inputs": {"data": "{{ state.groups }}", "selected_indices": "{{ state.picked }}",
                       "resolver_schema": resolved("data", "selected_indices"), **inputs},
            "outputs_to_state": {"merged_schema": "answer_schema"}}


def prompt_module(**inputs) -> dict:
    return {"module_id": "prompt.build_grouped_prompt", "name": "prompt",
            "inputs": {"shared_instructions": "Write one prompt per provider.", "data": "{{ state.groups }}",
                       "selected_indices": "{{ state.picked }}",
                       "resolver_schema": resolved("data", "selected_indices"), **inputs},
            "outputs_to_state": {"merged_prompt": "system_prompt"}}


async def test_selected_groups_make_one_strict_schema_and_one_prompt(fake_engine, tmp_path):
    state = {"groups": GROUPS, "picked": [["midjourney"], "openai"]}
    run = await finish(fake_engine, write(tmp_path / "w", schema_module(), prompt_module(), state=state))
    assert run.status is RunStatus.COMPLETED, run.error
    schema = run.state["answer_schema"]
    assert schema["required"] == ["prompts"] and schema["additionalProperties"] is False
    prompts = schema["properties"]["prompts"]
    assert list(prompts["properties"]) == ["midjourney", "midjourney_alt", "openai"]
    assert prompts["required"] == ["midjourney", "midjourney_alt", "openai"]
    # openai has no instructions of its own: the shared text and midjourney's only.
    assert run.state["system_prompt"] == "Write one prompt per provider.\n\n## Midjourney\nUse --ar 9:16."


async def test_a_wrapper_schema_and_schema_paths(fake_engine, tmp_path):
    wrapper = {"type": "object", "properties": {"scene_title": {"type": "string"},
                                                "prompts": {"type": "object", "additionalProperties": False}},
               "required": ["scene_title", "prompts"], "additionalProperties": False}
    module = schema_module(wrapper_schema=wrapper, schema_paths={"leonardo": group_schema("leo_v2")})
    run = await finish(fake_engine, write(tmp_path / "w", module, state={"groups": GROUPS, "picked": ["leonardo"]}))
    assert run.status is RunStatus.COMPLETED, run.error
    merged = run.state["answer_schema"]
    assert merged["required"] == ["scene_title", "prompts"]
    assert list(merged["properties"]["prompts"]["properties"]) == ["leo_v2"]
    assert merged["properties"]["prompts"]["required"] == ["leo_v2"]


async def test_legacy_group_configs(fake_engine, tmp_path):
    module = prompt_module(selected_indices=None, selected_group_configs="{{ state.configs }}",
                           resolver_schema=resolved("selected_group_configs"))
    module["inputs"].pop("data")
    module["inputs"].pop("selected_indices")
    state = {"configs": [GROUPS["leonardo"], GROUPS["midjourney"]]}
    run = await finish(fake_engine, write(tmp_path / "w", module, state=state))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["system_prompt"].split("\n\n") == [
        "Write one prompt per provider.", "## Leonardo\nShort, vivid prompts.", "## Midjourney\nUse --ar 9:16."]


@pytest.mark.parametrize("module, state, reason", [
    (schema_module(), {"groups": GROUPS, "picked": ["sora"]},
     "selected group 'sora' is not in `data` (it has leonardo, midjourney, openai)"),
    (prompt_module(), {"groups": GROUPS, "picked": [{"key": "leonardo"}]}, "item 0 of `selected_indices` is an object"),
    (schema_module(), {"groups": {"x": {"schema": "schemas/x.json"}}, "picked": ["x"]},
     "group 'x''s `schema` is a string, not a schema object"),
    (schema_module(), {"groups": {"x": {"schema": {"type": "object"}}}, "picked": ["x"]},
     "has no object at `properties.prompts`"),
    (schema_module(wrapper_schema={"type": "object", "properties": {}}), {"groups": GROUPS, "picked": ["openai"]},
     "`wrapper_schema` has no object at `properties.prompts`"),
    (prompt_module(shared_instructions=""), {"groups": GROUPS, "picked": []}, "`shared_instructions` must be non-empty"),
    (prompt_module(), {"groups": {"x": {"prompt_instructions": ["a"]}}, "picked": ["x"]},
     "group 'x' has `prompt_instructions` that is a list, not text"),
    (prompt_module(data=None), {"groups": GROUPS, "picked": ["openai"]}, "there is no `data` to find them in"),
])
async def test_group_errors_name_the_module_and_what_to_fix(fake_engine, tmp_path, module, state, reason):
    run = await finish(fake_engine, write(tmp_path / "w", module, state=state))
    assert run.status is RunStatus.ERROR
    assert f"module {module['name']!r}" in run.error and reason in run.error
