"""`transform.parse_pattern` in a real engine, with the seed's aesthetic-selection shape
("2x3p, 1x1": aesthetic number, count, a person flag): regex groups, casts, mappings, lookups
by position and by field, simpleeval computed fields, validation, and the configuration errors."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from one_step_workflow import finish, resolved, write

AESTHETICS = [{"id": "cozy", "name": "Cozy"}, {"id": "neon", "name": "Neon"}, {"id": "retro", "name": "Retro"}]


def parse(text: str, **inputs) -> dict:
    base = {"input": text,
            "pattern": {"regex": r"^(?P<aesthetic>\d+)x(?P<count>\d+)(?P<person>p)?$", "separator": ","},
            "field_types": {"aesthetic": "int", "count": "int"},
            "mappings": {"person": {"p": "with_person"}},
            "lookups": {"aesthetic": {"source": "{{ state.aesthetics }}", "match_by_position": True,
                                      "output_field": "aesthetic_data", "required": True}},
            "computed": [{"field": "images", "expression": "count * 2 + (1 if person == 'with_person' else 0)"},
                         {"field": "label", "expression": "aesthetic_data['name'] + ' x' + str(count)"}],
            "validation": {"count": {"min": 1, "max": 4}, "aesthetic": {"required": True}},
            "sum_field": "count",
            "resolver_schema": {"type": "object", "properties": {"lookups": {"resolver": "server"}}}}
    base.update(inputs)
    return {"module_id": "transform.parse_pattern", "name": "parse_selection", "inputs": base,
            "outputs_to_state": {"items": "picks", "count": "n", "total": "total", "valid": "ok", "errors": "errors"}}


async def run_parse(engine, tmp_path, text: str, **inputs):
    return await finish(engine, write(tmp_path / "w", parse(text, **inputs), state={"aesthetics": AESTHETICS}))


async def test_each_part_is_grouped_cast_mapped_looked_up_computed_and_validated(fake_engine, tmp_path):
    run = await run_parse(fake_engine, tmp_path, " 2x3p, 1x1 ,")
    assert run.status is RunStatus.COMPLETED, run.error
    first, second = run.state["picks"]
    assert first == {"_raw": "2x3p", "_index": 0, "aesthetic": 2, "count": 3, "person": "with_person",
                     "person_original": "p", "aesthetic_data": AESTHETICS[1], "images": 7, "label": "Neon x3"}
    assert second["person"] is None and second["images"] == 2 and second["label"] == "Cozy x1"
    assert (run.state["n"], run.state["total"], run.state["ok"], run.state["errors"]) == (2, 4, True, [])


async def test_parts_that_do_not_fit_are_reported_not_raised(fake_engine, tmp_path):
    run = await run_parse(fake_engine, tmp_path, "2x9, hello, 7x1")
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["ok"] is False and run.state["n"] == 3
    assert run.state["errors"] == [
        "Item '2x9': 'count' (9) exceeds maximum (4)",
        "Item 'hello' does not match pattern",
        "Item '7x1': Lookup failed for 'aesthetic'=7",
        "Item '7x1': Failed to compute 'label': 'aesthetic_data' is not defined for expression "
        "'aesthetic_data['name'] + ' x' + str(count)'"]


async def test_lookup_by_field_regex_separator_and_allowed_values(fake_engine, tmp_path):
    run = await run_parse(
        fake_engine, tmp_path, "neon; retro;;plaid",
        pattern={"regex": r"^(?P<style>[a-z]+)$", "separator": r";+", "separator_is_regex": True},
        field_types={}, mappings={}, computed=[{"field": "loud", "expression": "len(style) > 4"}],
        lookups={"style": {"source": "{{ state.aesthetics }}", "match_field": "id"}},
        validation={"style": {"in": ["neon", "retro"], "pattern": "^[a-z]+$"}}, sum_field=None)
    assert run.status is RunStatus.COMPLETED, run.error
    assert [p["style_resolved"]["name"] for p in run.state["picks"][:2]] == ["Neon", "Retro"]
    assert [p["loud"] for p in run.state["picks"]] == [False, True, True]
    assert run.state["errors"] == ["Item 'plaid': 'style' (plaid) not in allowed values ['neon', 'retro']"]
    assert run.state["total"] == 0


async def test_computed_expressions_cannot_reach_python(fake_engine, tmp_path):
    run = await run_parse(fake_engine, tmp_path, "1x1", computed=[
        {"field": "x", "expression": "count.__class__.__subclasses__()"},
        {"field": "y", "expression": "__import__('os').getcwd()"}])
    assert run.status is RunStatus.COMPLETED, run.error
    assert "x" not in run.state["picks"][0] and "y" not in run.state["picks"][0]
    assert len(run.state["errors"]) == 2 and all("Failed to compute" in e for e in run.state["errors"])


@pytest.mark.parametrize("inputs, reason", [
    ({"pattern": {"regex": "(?P<a>"}}, "`pattern.regex` is not a valid regular expression"),
    ({"pattern": {"separator": ","}}, "input `pattern` must be an object with a `regex`"),
    ({"field_types": {"count": "decimal"}}, "`field_types.count` is 'decimal'; use one of"),
    ({"lookups": {"aesthetic": {"source": "aesthetics.json"}}}, "`lookups.aesthetic.source` must be a list"),
    ({"computed": [{"field": "x"}]}, "input `computed` must be a list of"),
    ({"validation": {"count": {"pattern": "[a-"}}}, "`validation.count.pattern` is not a valid regular expression"),
    ({"input": "{{ state.aesthetics }}", "resolver_schema": resolved("input", "lookups")},
     "input `input` must be text to parse, not a list"),
])
async def test_configuration_errors_stop_the_run_with_the_fix(fake_engine, tmp_path, inputs, reason):
    run = await run_parse(fake_engine, tmp_path, "1x1", **inputs)
    assert run.status is RunStatus.ERROR
    assert "module 'parse_selection'" in run.error and reason in run.error
