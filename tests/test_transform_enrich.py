"""`transform.enrich` in a real engine: LLM summaries by id copied into a nested concept list at
two levels, and each way the ids can fail to line up."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from one_step_workflow import finish, resolved, write

SUMMARY = {"type": "enrichment_map", "document_data_id_field": "id", "enrichment_data_id_field": "id",
           "source_field": "generated_summary"}
MAPPING = {"type": "object", "properties": {"aesthetic_concepts": {"type": "array", "items": {
    "type": "object", "properties": {
        "aesthetic_quick_summary": SUMMARY,
        "ideas": {"type": "array", "items": {"type": "object", "properties": {"idea_quick_summary": SUMMARY}}}}}}}}


def concepts() -> dict:
    return {"aesthetic_concepts": [
        {"id": "1", "name": "Cozy", "ideas": [{"id": "1_1", "name": "Blanket fort"}, {"id": "1_2", "name": "Tea"}]},
        {"id": 2, "name": "Neon", "ideas": []}]}


def enrich(mapping: dict = MAPPING) -> dict:
    return {"module_id": "transform.enrich", "name": "add_summaries",
            "inputs": {"data": "{{ state.concepts }}", "enrichments": "{{ state.summaries }}", "mapping_schema": mapping,
                       "resolver_schema": resolved("data", "enrichments")},
            "outputs_to_state": {"enriched_data": "enriched"}}


def summaries(*ids: str) -> list[dict]:
    return [{"id": i, "generated_summary": f"about {i}"} for i in ids]


async def test_summaries_are_copied_in_at_every_level(fake_engine, tmp_path):
    state = {"concepts": concepts(), "summaries": summaries("1_2", "1", "2", "1_1")}
    run = await finish(fake_engine, write(tmp_path / "w", enrich(), state=state))
    assert run.status is RunStatus.COMPLETED, run.error
    first, second = run.state["enriched"]["aesthetic_concepts"]
    assert first["aesthetic_quick_summary"] == "about 1" and second["aesthetic_quick_summary"] == "about 2"
    assert [i["idea_quick_summary"] for i in first["ideas"]] == ["about 1_1", "about 1_2"]
    assert "aesthetic_quick_summary" not in run.state["concepts"]["aesthetic_concepts"][0]  # a copy is enriched


@pytest.mark.parametrize("enrichments, mapping, reason", [
    (summaries("1", "2", "1_1", "1_2", "1"), MAPPING, "enrichments id '1' appears twice (items 0 and 4)"),
    (summaries("1", "2", "1_1"), MAPPING, "no enrichment for 1 mapped object(s): $.aesthetic_concepts[0].ideas[1]"),
    (summaries("1", "2", "1_1", "1_2", "9"), MAPPING, "enrichment id '9' matches nothing in `data`"),
    ([{"id": "1"}, *summaries("2", "1_1", "1_2")], MAPPING, "the enrichment with id '1' has no 'generated_summary'"),
    (summaries("1"), {"type": "object", "properties": {"aesthetic_concepts": {"type": "array", "items": {
        "type": "object", "properties": {"s": {"type": "enrichment_map", "source_field": "x"}}}}}},
     "lacks document_data_id_field, enrichment_data_id_field"),
    (summaries("1"), {"type": "object", "properties": {"aesthetic_concepts": {"type": "array", "items": {
        "type": "object", "properties": {"s": {**SUMMARY, "document_data_id_field": "slug"}}}}}},
     "the object at $.aesthetic_concepts[0] in `data` has no 'slug'"),
])
async def test_enrich_errors(fake_engine, tmp_path, enrichments, mapping, reason):
    state = {"concepts": concepts(), "summaries": enrichments}
    run = await finish(fake_engine, write(tmp_path / "w", enrich(mapping), state=state))
    assert run.status is RunStatus.ERROR
    assert "module 'add_summaries'" in run.error and reason in run.error
