"""`io.validate` in a real engine: state keys checked against a Draft 2020-12 schema; errors
reported with the state path they concern, the run stopped only when `strict`."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from cctui.workflow.errors import WorkflowErrors
from one_step_workflow import finish, resolved, write

SCHEMA = {"type": "object", "required": ["scene_concepts", "selected_scene"], "properties": {
    "scene_concepts": {"type": "object", "required": ["scenes"], "properties": {"scenes": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}}}},
    "selected_scene": {"type": ["object", "null"]}}}


def validate(**inputs) -> dict:
    return {"module_id": "io.validate", "name": "check_scenes",
            "inputs": {"schema": SCHEMA, "state_keys": ["scene_concepts", "selected_scene"], **inputs},
            "outputs_to_state": {"valid": "scenes_ok", "errors": "scene_errors"}}


GOOD = {"scene_concepts": {"scenes": [{"title": "Nap"}]}, "selected_scene": {"title": "Nap"}}
BAD = {"scene_concepts": {"scenes": [{"title": "Nap"}, {"title": 3}, {}]}, "selected_scene": "Nap"}


async def test_state_that_fits(fake_engine, tmp_path):
    run = await finish(fake_engine, write(tmp_path / "w", validate(strict=True), state=GOOD))
    assert run.status is RunStatus.COMPLETED, run.error
    assert (run.state["scenes_ok"], run.state["scene_errors"]) == (True, [])


async def test_a_key_not_in_the_state_is_null(fake_engine, tmp_path):
    run = await finish(fake_engine, write(tmp_path / "w", validate(), state={"scene_concepts": GOOD["scene_concepts"]}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["scenes_ok"] is True  # selected_scene may be null


async def test_errors_are_reported_with_their_state_paths(fake_engine, tmp_path):
    run = await finish(fake_engine, write(tmp_path / "w", validate(), state=BAD))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["scenes_ok"] is False
    assert run.state["scene_errors"] == [
        "state.scene_concepts.scenes[1].title: 3 is not of type 'string'",
        "state.scene_concepts.scenes[2]: 'title' is a required property",
        "state.selected_scene: 'Nap' is not of type 'object', 'null'"]


async def test_strict_stops_the_run_naming_each_path(fake_engine, tmp_path):
    module = validate(strict=True, error_message="the scenes are not usable")
    run = await finish(fake_engine, write(tmp_path / "w", module, state=BAD))
    assert run.status is RunStatus.ERROR
    assert "module 'check_scenes'" in run.error and "the scenes are not usable: state.scene_concepts.scenes[1].title" \
        in run.error and "state.selected_scene" in run.error and "run it again, or correct the schema" in run.error


async def test_a_schema_from_the_state_that_is_not_a_schema(fake_engine, tmp_path):
    module = validate(schema="{{ state.schema }}", resolver_schema=resolved("schema"))
    run = await finish(fake_engine, write(tmp_path / "w", module, state={**GOOD, "schema": {"type": "thing"}}))
    assert run.status is RunStatus.ERROR
    assert "module 'check_scenes'" in run.error and "not a valid JSON Schema (Draft 2020-12) at schema.type" in run.error


async def test_a_written_schema_that_is_not_a_schema_is_found_at_load(fake_engine, tmp_path):
    with pytest.raises(WorkflowErrors) as caught:
        await finish(fake_engine, write(tmp_path / "w", validate(schema={"minItems": "one"}), state=GOOD))
    assert "inputs.schema.minItems" in str(caught.value)
