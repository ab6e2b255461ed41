"""`status_display` in both shapes: cctui's list of {label, template} and the seed system's
{fields, layout}; rendering, dropping, layout order and the loader's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.engine.engine import Engine, load
from cctui.workflow.errors import WorkflowError, WorkflowErrors
from fakes import FakeProviders

ASK = {"module_id": "user.text_input", "name": "ask_name", "inputs": {"prompt": "Name?"},
       "outputs_to_state": {"text": "pet_name"}}


def write_workflow(root: Path, status_display) -> Path:
    root.mkdir()
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "s", "name": "S", "initial_state": {"owner": "Ana"}, "status_display": status_display,
        "steps": [{"step_id": "naming", "name": "Name the pet", "modules": [ASK]}]}), encoding="utf-8")
    return root


def errors_of(root: Path) -> list[WorkflowError]:
    with pytest.raises((WorkflowError, WorkflowErrors)) as info:
        load(root)
    return info.value.errors if isinstance(info.value, WorkflowErrors) else [info.value]


async def first_run(tmp_path: Path, status_display):
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    run = await engine.new_run(write_workflow(tmp_path / "wf", status_display))
    await run.advance()
    return engine, run


async def answer_name(run, name: str) -> None:
    await run.answer((await run.pending()).interaction_id, {"text": name})


async def test_laid_out_fields_render_in_layout_order_and_drop_until_their_state_exists(tmp_path):
    engine, run = await first_run(tmp_path, {
        "fields": [{"id": "pet", "label": "Pet", "value": "{{ state.pet_name }}"},
                   {"id": "owner", "label": "Owner", "value": "{{ state.owner }}"},
                   {"id": "where", "label": "Step", "value": "{{ current_step_name }} / {{ step.step_number }}"},
                   {"id": "none", "label": "Nothing", "value": "{{ None }}"},
                   {"id": "unlisted", "label": "Unlisted", "value": "never shown"}],
        "layout": [["where", "pet"], ["none", "owner"]]})
    try:
        # pet_name is not written yet: the field is dropped, not shown empty; None is dropped too.
        assert run.status_fields() == [("Step", "naming / 1"), ("Owner", "Ana")]
        await answer_name(run, "Rex")
        assert run.status_fields() == [("Step", "naming / 1"), ("Pet", "Rex"), ("Owner", "Ana")]
    finally:
        await engine.close()


async def test_laid_out_fields_without_a_layout_show_in_field_order(tmp_path):
    engine, run = await first_run(tmp_path, {
        "fields": [{"id": "owner", "label": "Owner", "value": "{{ state.owner }}"},
                   {"id": "blank", "label": "Blank", "value": "   "}]})
    try:
        assert run.status_fields() == [("Owner", "Ana")]
    finally:
        await engine.close()


async def test_the_list_shape_still_shows_a_field_empty_until_its_state_exists(tmp_path):
    engine, run = await first_run(tmp_path, [{"label": "Pet", "template": "{{ state.pet_name }}"},
                                             {"label": "Where", "template": "{{ current_step_name }}"}])
    try:
        assert run.status_fields() == [("Pet", ""), ("Where", "naming")]
        await answer_name(run, "Rex")
        assert run.status_fields()[0] == ("Pet", "Rex")
    finally:
        await engine.close()


def test_a_layout_id_that_names_no_field_is_reported_with_its_path(tmp_path):
    root = write_workflow(tmp_path / "wf", {"fields": [{"id": "pet", "label": "Pet", "value": "x"}],
                                            "layout": [["pet"], ["pet", "mood"]]})
    [error] = errors_of(root)
    assert (error.file, error.path) == ("wf/workflow_v3.json", "$.status_display.layout[1][1]")
    assert "'mood'" in error.reason and "fields: pet" in error.reason


def test_a_laid_out_value_with_a_syntax_error_is_reported_with_its_path(tmp_path):
    root = write_workflow(tmp_path / "wf", {"fields": [{"id": "a", "label": "A", "value": "ok"},
                                                       {"id": "b", "label": "B", "value": "{{ state.x "}],
                                            "layout": [["a", "b"]]})
    [error] = errors_of(root)
    assert error.path == "$.status_display.fields[1].value" and "Jinja syntax error" in error.reason


def test_a_field_id_used_twice_is_reported(tmp_path):
    root = write_workflow(tmp_path / "wf", {"fields": [{"id": "a", "label": "A", "value": "1"},
                                                       {"id": "a", "label": "B", "value": "2"}]})
    [error] = errors_of(root)
    assert error.path == "$.status_display.fields[1].id" and "used twice" in error.reason


@pytest.mark.parametrize("display, path, reason", [
    ({"fields": [{"id": "a", "label": "A"}]}, "$.status_display.fields[0].value", "'value' is missing"),
    ([{"label": "A"}], "$.status_display[0].template", "'template' is missing"),
    ("Pet: {{ state.pet }}", "$.status_display", "a list of {label, template} or an object"),
])
def test_a_field_of_the_wrong_shape_is_reported_at_its_own_path(tmp_path, display, path, reason):
    [error] = errors_of(write_workflow(tmp_path / "wf", display))
    assert error.path == path and reason in error.reason
