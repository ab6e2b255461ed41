"""`transform.query` runs the seed system's aggregation pipelines (mongomock) inside real engine
runs of a small keyword workflow; bad pipelines and inputs are named by step, module, stage and
where they are written. `transform.extract` hands its inputs back as outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cctui.engine.modules import shapes
from cctui.workflow.errors import WorkflowErrors
from cctui.workflow.loader import load_workflow

STEP_FILE = "steps/1_keywords/step.json"
SCENES = [
    {"title": "Snow nap", "scene_keywords": [
        {"keyword": "snow", "category": "setting", "weight": 3},
        {"keyword": "nap", "category": "action", "weight": 5}]},
    {"title": "Empty", "scene_keywords": []},
    {"title": "Beach zoom", "scene_keywords": [
        {"keyword": "beach", "category": "setting", "weight": 4},
        {"keyword": "zoomies", "category": "action", "weight": 1},
        {"keyword": "sunset", "category": "setting", "weight": 2}]},
]
FLATTEN = [{"$unwind": "$scene_keywords"}, {"$replaceRoot": {"newRoot": "$scene_keywords"}},
           {"$addFields": {"source": "generated"}}]


def query(name: str, data, pipeline, out: str) -> dict:
    return {"module_id": "transform.query", "name": name, "inputs": {
        "data": data, "pipeline": pipeline,
        "resolver_schema": {"type": "object", "properties": {"data": {"resolver": "server"}}}},
        "outputs_to_state": {"result": out}}


def write_workflow(root: Path, *modules: dict, initial_state: dict | None = None) -> Path:
    (root / "steps" / "1_keywords").mkdir(parents=True)
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "keywords", "name": "Keywords", "initial_state": initial_state or {"scenes": SCENES},
        "steps": [{"$ref": STEP_FILE, "type": "json"}]}), encoding="utf-8")
    (root / STEP_FILE).write_text(json.dumps({"step_id": "keywords", "name": "Keywords",
                                              "modules": list(modules)}), encoding="utf-8")
    return root


@pytest.fixture
def engine(fake_engine):
    return fake_engine


async def finished_state(engine, folder: Path) -> dict:
    run = await engine.new_run(folder)
    assert await run.advance() == "completed", run.error
    return run.state


async def failure(engine, folder: Path) -> str:
    run = await engine.new_run(folder)
    assert await run.advance() == "error"
    events = await run.store.events(run.run_id, ("module_failed",))
    assert events[-1].data["retryable"] is False
    return run.error


async def test_the_seed_flatten_then_load_pipelines_run_in_order(tmp_path, engine):
    folder = write_workflow(
        tmp_path / "wf",
        query("flatten_keywords", "{{ state.scenes }}", FLATTEN, "keywords"),
        query("top_keywords", "{{ state.keywords }}",
              [{"$match": {"source": "generated", "weight": {"$gte": 2}}}, {"$sort": {"weight": -1}},
               {"$limit": 3}, {"$project": {"keyword": 1, "weight": 1}}], "top"))
    state = await finished_state(engine, folder)
    # The scene with no keywords is dropped by $unwind; no document keeps the collection's _id.
    assert state["keywords"] == [
        {"keyword": "snow", "category": "setting", "weight": 3, "source": "generated"},
        {"keyword": "nap", "category": "action", "weight": 5, "source": "generated"},
        {"keyword": "beach", "category": "setting", "weight": 4, "source": "generated"},
        {"keyword": "zoomies", "category": "action", "weight": 1, "source": "generated"},
        {"keyword": "sunset", "category": "setting", "weight": 2, "source": "generated"}]
    assert state["top"] == [{"keyword": "nap", "weight": 5}, {"keyword": "beach", "weight": 4},
                            {"keyword": "snow", "weight": 3}]
    assert SCENES[0]["scene_keywords"][0] == {"keyword": "snow", "category": "setting", "weight": 3}


async def test_the_selected_scene_wrapped_in_a_list_and_group_count_skip_facet(tmp_path, engine):
    by_category = [*FLATTEN, {"$group": {"_id": "$category", "total": {"$sum": "$weight"}, "n": {"$sum": 1}}},
                   {"$addFields": {"category": "$_id"}}, {"$sort": {"category": 1}}]
    folder = write_workflow(
        tmp_path / "wf",
        # The seed writes `[{"scene": "{{ state.selected_scene }}"}]`: one document from one object.
        query("selected_keywords", [{"scene": "{{ state.scenes[2] }}"}],
              [{"$unwind": "$scene.scene_keywords"}, {"$replaceRoot": {"newRoot": "$scene.scene_keywords"}},
               {"$set": {"source": "selected"}}, {"$skip": 1}, {"$project": {"_id": 0, "keyword": 1}}],
              "selected"),
        query("by_category", "{{ state.scenes }}", by_category, "totals"),
        query("count_keywords", "{{ state.scenes }}", [*FLATTEN, {"$count": "keywords"}], "count"),
        query("split", "{{ state.scenes }}",
              [*FLATTEN, {"$facet": {"heavy": [{"$match": {"weight": {"$gt": 3}}}, {"$project": {"keyword": 1}}],
                                     "all": [{"$count": "n"}]}}], "split"))
    state = await finished_state(engine, folder)
    assert state["selected"] == [{"keyword": "zoomies"}, {"keyword": "sunset"}]
    # As in the seed system every _id goes, the group key too: the pipeline copies it first.
    assert state["totals"] == [{"category": "action", "total": 6, "n": 2},
                               {"category": "setting", "total": 9, "n": 3}]
    assert state["count"] == [{"keywords": 5}]
    assert state["split"] == [{"heavy": [{"keyword": "nap"}, {"keyword": "beach"}], "all": [{"n": 5}]}]


async def test_empty_data_gives_an_empty_list_whatever_the_pipeline(tmp_path, engine):
    folder = write_workflow(tmp_path / "wf", query("nothing", "{{ state.none }}", [{"$count": "n"}], "out"),
                            initial_state={"none": []})
    assert (await finished_state(engine, folder))["out"] == []


@pytest.mark.parametrize("pipeline, stage, said", [
    ([{"$match": {}}, {"$densify": {"field": "weight"}}], "stage 1 of `pipeline` ($densify)",
     "not a valid operator"),
    ([{"$redact": "$$KEEP"}], "stage 0 of `pipeline` ($redact)", "not implemented in Mongomock"),
    ([{"$sort": {"weight": -1}}, {"$unwind": "scene_keywords"}], "stage 1 of `pipeline` ($unwind)",
     "must be prefixed with a '\\$'"),
    ([{"$limit": "ten"}], "stage 0 of `pipeline` ($limit)", "slice indices"),
    ([{"$project": {"d": {"$dateTrunc": {}}}}], "stage 0 of `pipeline` ($project)", "Unrecognized expression"),
])
async def test_a_stage_mongomock_cannot_run_stops_the_run_naming_step_module_and_stage(
        tmp_path, engine, pipeline, stage, said):
    folder = write_workflow(tmp_path / "wf", query("flatten_keywords", "{{ state.scenes }}", pipeline, "out"))
    error = await failure(engine, folder)
    assert "step 'keywords', module 'flatten_keywords'" in error
    assert stage in error
    assert "Correct or remove that stage in the step file" in error
    assert f"{STEP_FILE} at $.modules[0])" in error
    assert re.search(said, error)


@pytest.mark.parametrize("stage, shown", [
    ({"$match": {"source": "x"}, "$sort": {"weight": 1}}, "$match"),
    ({"match": {"source": "x"}}, "match"),
    ({}, "{}"),
])
async def test_a_stage_that_is_not_one_dollar_key_is_refused_before_mongomock_reads_it(
        tmp_path, engine, stage, shown):
    folder = write_workflow(tmp_path / "wf", query("flatten_keywords", "{{ state.scenes }}", [stage], "out"))
    error = await failure(engine, folder)
    assert "module 'flatten_keywords': stage 0 of `pipeline` must be an object with exactly one key" in error
    assert shown in error


async def test_data_that_renders_to_no_list_of_objects_stops_the_run_and_says_why(tmp_path, engine):
    folder = write_workflow(tmp_path / "wf", query("flatten_keywords", "{{ state.scenes }}", FLATTEN, "out"),
                            initial_state={"scenes": ["snow", "nap"]})
    error = await failure(engine, folder)
    assert "item 0 of input `data` must be an object, not a string" in error
    folder = write_workflow(tmp_path / "wf2", query("flatten_keywords", "{{ state.scenes }}", FLATTEN, "out"),
                            initial_state={"scenes": None})
    assert "input `data` must be a list of objects, not null" in await failure(engine, folder)


async def test_duplicate_ids_in_data_are_named_not_a_traceback(tmp_path, engine):
    folder = write_workflow(tmp_path / "wf", query("flatten_keywords", "{{ state.scenes }}", FLATTEN, "out"),
                            initial_state={"scenes": [{"_id": 1}, {"_id": 1}]})
    assert "input `data` cannot be stored as documents" in await failure(engine, folder)


def test_validate_accepts_the_module_and_names_wrong_inputs_with_file_and_path(tmp_path):
    good = write_workflow(tmp_path / "good", query("flatten_keywords", "{{ state.scenes }}", FLATTEN, "out"))
    assert load_workflow(good, modules=shapes()).steps[0].modules[0].module_id == "transform.query"
    bad = write_workflow(
        tmp_path / "bad",
        query("flatten_keywords", {"scenes": 1}, FLATTEN, "out"),
        query("top", "{{ state.scenes }}", [{"$limit": 3}, "sort"], "top"),
        {"module_id": "transform.query", "name": "extra", "outputs_to_state": {"rows": "rows"},
         "inputs": {"data": [], "pipeline": [], "collection": "keywords"}})
    with pytest.raises(WorkflowErrors) as info:
        load_workflow(bad, modules=shapes())
    found = {(Path(e.file).as_posix().endswith(STEP_FILE), e.path): e.reason for e in info.value.errors}
    assert "input 'data' of transform.query must be a list whose items are each an object, not an object" \
        in found[(True, "$.modules[0].inputs.data")]
    assert "item 1 of input 'pipeline' of transform.query must be an object, not a string" \
        in found[(True, "$.modules[1].inputs.pipeline[1]")]
    assert "takes no input 'collection'" in found[(True, "$.modules[2].inputs.collection")]
    assert "produces no output 'rows' (it produces result)" in found[(True, "$.modules[2].outputs_to_state.rows")]


def extract(name: str, outputs_to_state: dict, **inputs) -> dict:
    return {"module_id": "transform.extract", "name": name, "outputs_to_state": outputs_to_state, "inputs": {
        **inputs, "resolver_schema": {"type": "object", "properties": {k: {"resolver": "server"} for k in inputs}}}}


async def test_extract_returns_its_inputs_resolved_and_leaves_underscored_ones_behind(tmp_path, engine):
    folder = write_workflow(tmp_path / "wf", extract(
        "store_selected_scene", {"selected_scene": "scene", "title": "title", "count": "count"},
        selected_scene="{{ state.scenes[2] }}", title="{{ state.scenes[0].title }}!", count=3,
        _note="{{ state.scenes[1] }}"))
    run = await engine.new_run(folder)
    assert await run.advance() == "completed", run.error
    assert (run.state["scene"], run.state["title"], run.state["count"]) == (SCENES[2], "Snow nap!", 3)
    completed = await run.store.events(run.run_id, ("module_completed",))
    assert completed[-1].data["outputs"] == {"selected_scene": SCENES[2], "title": "Snow nap!", "count": 3}


def test_validate_takes_any_extract_input_and_only_those_as_outputs(tmp_path):
    good = write_workflow(tmp_path / "good", extract("pick", {"anything": "a"}, anything="{{ state.scenes }}"))
    assert load_workflow(good, modules=shapes()).steps[0].modules[0].module_id == "transform.extract"
    bad = write_workflow(tmp_path / "bad", extract("pick", {"_note": "n", "scene": "s"}, _note="x", picked=1))
    with pytest.raises(WorkflowErrors) as info:
        load_workflow(bad, modules=shapes())
    reasons = {e.path: e.reason for e in info.value.errors}
    assert "produces no output '_note' (it produces picked)" in reasons["$.modules[0].outputs_to_state._note"]
    assert "produces no output 'scene' (it produces picked)" in reasons["$.modules[0].outputs_to_state.scene"]
    assert len(reasons) == 2
