"""`user.form` in real runs of a seed-format workflow: one row per item, starting from the
`input_schema` defaults; the schema's own rules (type, enum, range, pattern, required) refuse a
row with the row, the item and the field named, and the question stays."""

from __future__ import annotations

import copy
import re

import pytest

from cctui.engine.errors import AnswerError
from cctui.workflow.errors import WorkflowErrors
from form_write_workflow import ITEM_SCHEMA, STYLES, form_step, write_workflow


@pytest.fixture
def engine(fake_engine):
    return fake_engine


async def asked(engine, folder):
    run = await engine.new_run(folder)
    await run.advance()
    return run, await run.pending()


async def test_the_form_shows_a_row_per_item_with_the_schema_defaults(engine, tmp_path):
    run, ask = await asked(engine, write_workflow(tmp_path / "wf", form_step()))
    assert ask.kind == "form" and ask.module_id == "user.form"
    assert ask.display["prompt"] == "How much of each style for Miso's party?"
    # The schema's title field comes first; `_id` is not shown.
    assert ask.display["labels"] == ["Disco · 1970s", "Garden tea · Victorian", "Space · Future"]
    assert ask.display["rows"] == [{"weight": 50, "mode": "soft"}] * 3
    assert ask.display["required"] == ["mood"] and ask.display["form_type"] == "table"


@pytest.mark.parametrize("rows, message", [
    ([{}, {}, {}], "form_data[0] (row 1, 'Disco · 1970s'), field 'mood': Mood is required; fill it in"),
    ([{"mood": "ok"}, {"mood": "ok", "weight": 150}, {"mood": "ok"}],
     "form_data[1] (row 2, 'Garden tea · Victorian'), field 'weight': Weight: 150 is outside 0..100"),
    ([{"mood": "ok"}, {"mood": "ok"}, {"mood": "ok", "mode": "loud"}],
     "form_data[2] (row 3, 'Space · Future'), field 'mode': Mode: 'loud' is not one of bold, soft"),
    ([{"mood": "Happy!"}, {}, {}], "form_data[0] (row 1, 'Disco · 1970s'), field 'mood': Mood: 'Happy!' does not match the pattern ^[a-z]+$"),
    ([{"mood": "ok", "weight": "lots"}, {}, {}],
     "form_data[0] (row 1, 'Disco · 1970s'), field 'weight': Weight: 'lots' is not a valid integer"),
    ([{"mood": "ok", "colour": "red"}, {}, {}],
     "form_data[0] (row 1, 'Disco · 1970s') has no field 'colour'; the form's fields are weight, mode, mood"),
    ([{"mood": "ok"}], "form_data has 1 row; the form has 3, one per item of `data` in order"),
    ([{"mood": "ok"}, "calm", {}], "form_data[1] (row 2, 'Garden tea · Victorian') must be an object"),
])
async def test_a_row_that_breaks_the_schema_is_refused_and_named(engine, tmp_path, rows, message):
    run, ask = await asked(engine, write_workflow(tmp_path / "wf", form_step()))
    with pytest.raises(AnswerError, match=re.escape(f"step 'styles', module 'weigh_styles': {message}")):
        await run.answer(ask.interaction_id, {"form_data": rows})
    assert (await run.pending()).interaction_id == ask.interaction_id  # the question stays


async def test_the_rows_come_out_with_item_and_index_and_checked_values(engine, tmp_path):
    run, ask = await asked(engine, write_workflow(tmp_path / "wf", form_step()))
    status = await run.answer(ask.interaction_id, {"form_data": [
        {"mood": "groovy"}, {"mood": "calm", "weight": "80"}, {"mood": "silly", "mode": "bold", "weight": 0}]})
    assert status == "completed"
    assert run.state["style_weights"] == [
        {"_item": STYLES[0], "_index": 0, "weight": 50, "mode": "soft", "mood": "groovy"},
        {"_item": STYLES[1], "_index": 1, "weight": 80, "mode": "soft", "mood": "calm"},
        {"_item": STYLES[2], "_index": 2, "weight": 0, "mode": "bold", "mood": "silly"},
    ]


async def test_an_optional_field_left_empty_is_left_out_as_the_seed_does(engine, tmp_path):
    step = form_step()
    schema = copy.deepcopy(ITEM_SCHEMA)
    schema["input_schema"]["required"] = []
    schema["input_schema"]["properties"]["weight"].pop("default")
    step["modules"][0]["inputs"]["schema"] = schema
    run, ask = await asked(engine, write_workflow(tmp_path / "wf", step))
    await run.answer(ask.interaction_id, {"form_data": [{"weight": ""}, {"mood": ""}, {"weight": None}]})
    assert [row for row in run.state["style_weights"]] == [
        {"_item": STYLES[0], "_index": 0, "mode": "soft"},
        {"_item": STYLES[1], "_index": 1, "mode": "soft", "mood": ""},
        {"_item": STYLES[2], "_index": 2, "mode": "soft"},
    ]


async def test_no_answer_rows_keep_the_defaults(engine, tmp_path):
    step = form_step()
    schema = copy.deepcopy(ITEM_SCHEMA)
    schema["input_schema"]["required"] = []
    step["modules"][0]["inputs"]["schema"] = schema
    run, ask = await asked(engine, write_workflow(tmp_path / "wf", step))
    assert await run.answer(ask.interaction_id, {}) == "completed"
    assert [(r["_index"], r["weight"], r["mode"]) for r in run.state["style_weights"]] == [
        (0, 50, "soft"), (1, 50, "soft"), (2, 50, "soft")]


async def test_a_schema_without_input_schema_stops_the_run_with_where_to_fix_it(engine, tmp_path):
    step = form_step()
    step["modules"][0]["inputs"]["schema"] = {"type": "object", "properties": {"name": {"type": "string"}}}
    run = await engine.new_run(write_workflow(tmp_path / "wf", step))
    assert await run.advance() == "error"
    assert "module 'weigh_styles' (user.form): input `schema` has no `input_schema` with `properties`" in run.error
    assert "steps/1_styles/step.json" in run.error


async def test_a_broken_pattern_in_the_schema_is_refused_when_the_workflow_loads(engine, tmp_path):
    step = form_step()
    schema = copy.deepcopy(ITEM_SCHEMA)
    schema["input_schema"]["properties"]["mood"]["pattern"] = "([a-z"
    step["modules"][0]["inputs"]["schema"] = schema
    with pytest.raises(WorkflowErrors, match=re.escape("wf/steps/1_styles/step.json: at $.modules[0].inputs.schema."
                                                       "input_schema.properties.mood.pattern: not a valid JSON Schema")):
        await engine.new_run(write_workflow(tmp_path / "wf", step))
