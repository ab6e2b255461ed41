"""`transform.reshape` in a real engine: a form's rows reshaped item by item (`$item`, `$index`),
an object reshaped once, native values from single expressions, lenient missing keys, and its
errors; the loader reads `$name` templates as the module does."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from cctui.workflow.errors import WorkflowErrors
from one_step_workflow import finish, resolved, write


def reshape(template: dict, source: str = "{{ state.rows }}", **inputs) -> dict:
    return {"module_id": "transform.reshape", "name": "reshape",
            "inputs": {"source": source, "template": template, "resolver_schema": resolved("source", "context_vars"),
                       **inputs},
            "outputs_to_state": {"result": "shaped"}}


async def test_form_rows_are_reshaped_item_by_item(fake_engine, tmp_path):
    rows = [{"_item": {"name": "Nap", "tags": ["calm"]}, "_index": 0, "count": 5},
            {"_item": {"name": "Zoomies", "tags": []}, "_index": 1, "count": 3}]
    template = {"_for_each": "$item", "_output": {
        "name": "{{ $item._item.name }}", "total": "{{ $item.count * $factor }}", "tags": "{{ $item._item.tags }}",
        "label": "#{{ $index + 1 }} {{ $item._item.name | upper }} for {{ state.pet }}",
        "mood": "{{ $item._item.mood }}", "note": "mood: {{ $item._item.mood }}!", "fixed": 7,
        "{{ $item._item.name | lower }}_seen": True}}
    module = reshape(template, context_vars={"$factor": "{{ state.factor }}"})
    run = await finish(fake_engine, write(tmp_path / "w", module, state={"rows": rows, "factor": 2, "pet": "Miso"}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["shaped"] == [
        {"name": "Nap", "total": 10, "tags": ["calm"], "label": "#1 NAP for Miso", "mood": None,
         "note": "mood: !", "fixed": 7, "nap_seen": True},
        {"name": "Zoomies", "total": 6, "tags": [], "label": "#2 ZOOMIES for Miso", "mood": None,
         "note": "mood: !", "fixed": 7, "zoomies_seen": True}]


async def test_an_object_is_reshaped_once_with_source(fake_engine, tmp_path):
    template = {"title": "{{ source.title }}", "first": "{{ $source.scenes[0] }}", "all": ["{{ source.scenes }}"]}
    module = reshape(template, source="{{ state.concept }}")
    run = await finish(fake_engine, write(tmp_path / "w", module, state={"concept": {"title": "Cat", "scenes": [1, 2]}}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["shaped"] == {"title": "Cat", "first": 1, "all": [[1, 2]]}


async def test_one_object_under_for_each_is_a_list_of_one(fake_engine, tmp_path):
    module = reshape({"_for_each": "$row", "_output": {"n": "{{ $row.n }}"}}, source="{{ state.one }}")
    run = await finish(fake_engine, write(tmp_path / "w", module, state={"one": {"n": 4}}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["shaped"] == [{"n": 4}]


@pytest.mark.parametrize("template, state, reason", [
    ({"_for_each": "$item", "_output": {"x": "{{ $item.a }}"}}, {"rows": None}, "input `source` is null"),
    ({"_for_each": "$item"}, {"rows": []}, "has `_for_each` but no `_output`"),
    ({"_for_each": "item list", "_output": {}}, {"rows": []}, "must name the item variable"),
    ({"_for_each": "$item", "_output": {"x": "{{ $item.a | no_such_filter }}"}}, {"rows": [{"a": 1}]},
     "no_such_filter"),
])
async def test_reshape_errors_name_the_module_and_the_fix(fake_engine, tmp_path, template, state, reason):
    folder = write(tmp_path / "w", reshape(template), state=state)
    if "no_such_filter" in reason:  # a template error is found when the workflow is read
        with pytest.raises(WorkflowErrors) as caught:
            await fake_engine.new_run(folder)
        assert "no_such_filter" in str(caught.value) and "template" in str(caught.value)
        return
    run = await finish(fake_engine, folder)
    assert run.status is RunStatus.ERROR
    assert "module 'reshape'" in run.error and reason in run.error


async def test_a_template_syntax_error_in_a_dollar_template_is_found_at_load(fake_engine, tmp_path):
    folder = write(tmp_path / "w", reshape({"_for_each": "$item", "_output": {"x": "{{ $item.a + }}"}}),
                   state={"rows": []})
    with pytest.raises(WorkflowErrors) as caught:
        await fake_engine.new_run(folder)
    assert "inputs.template._output.x" in str(caught.value) and "syntax error" in str(caught.value)


def test_lenient_rendering_reads_missing_state_paths_as_nothing():
    from cctui.workflow.templates import TemplateError, build_context, render_string

    context = build_context({"scene": {"title": "Nap"}})
    assert render_string("{{ state.scene.hook.text }}", context, "t", lenient=True) is None
    assert render_string("{{ state.scene.title }}: {{ state.scene.hook }}!", context, "t", lenient=True) == "Nap: !"
    with pytest.raises(TemplateError, match="is not set"):  # the engine's own rendering stays strict
        render_string("{{ state.scene.hook.text }}", context, "t")
