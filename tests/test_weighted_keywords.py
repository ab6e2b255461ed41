"""`io.weighted_keywords`: a keyword memory kept in SQLite across runs of one workflow (weights
add up or are replaced; fields merge), read back through a read-only pipeline that cannot reach
another workflow's keywords."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cctui.records import RunStatus

SAVE = {"module_id": "io.weighted_keywords", "name": "save_keywords",
        "inputs": {"mode": "save", "weighted_keywords": "{{ state.new_keywords }}",
                   "resolver_schema": {"type": "object", "properties": {"weighted_keywords": {"resolver": "server"}}}},
        "outputs_to_state": {"saved_count": "saved"}}
LOAD = {"module_id": "io.weighted_keywords", "name": "load_keywords",
        "inputs": {"mode": "load", "pipeline": [{"$sort": {"weight": -1, "keyword": 1}}, {"$limit": 2},
                                                {"$project": {"keyword": 1, "weight": 1, "category": 1}}]},
        "outputs_to_state": {"weighted_keywords": "remembered", "count": "remembered_count"}}


def write(root: Path, workflow_id: str, keywords: list, *modules: dict) -> Path:
    root.mkdir()
    (root / "workflow.json").write_text(json.dumps({
        "workflow_id": workflow_id, "name": workflow_id, "initial_state": {"new_keywords": keywords},
        "steps": [{"step_id": "memory", "name": "Memory", "modules": list(modules)}]}), encoding="utf-8")
    return root


async def finish(engine, folder: Path):
    run = await engine.new_run(folder)
    assert await run.advance() is RunStatus.COMPLETED, run.error
    return run


async def test_keywords_saved_in_one_run_are_weighed_in_the_next(fake_engine, tmp_path):
    first = write(tmp_path / "a", "scenes", [{"keyword": "Sunbeam", "weight": 1, "category": "place"},
                                            {"keyword": "yarn", "weight": 1, "source": "llm"}], SAVE)
    assert (await finish(fake_engine, first)).state["saved"] == 2
    again = write(tmp_path / "b", "scenes", [{"keyword": " sunbeam ", "weight": 2, "source": "picked"}], SAVE, LOAD)
    run = await finish(fake_engine, again)
    assert run.state["remembered"] == [{"keyword": "sunbeam", "weight": 3.0, "category": "place"},
                                       {"keyword": "yarn", "weight": 1.0}]
    assert run.state["remembered_count"] == 2
    other = write(tmp_path / "c", "posters", [], LOAD)  # another workflow remembers nothing of these
    assert (await finish(fake_engine, other)).state["remembered"] == []


async def test_without_accumulating_the_weight_is_replaced(fake_engine, tmp_path):
    await finish(fake_engine, write(tmp_path / "a", "scenes", [{"keyword": "yarn", "weight": 5}], SAVE))
    replace = {**SAVE, "inputs": {**SAVE["inputs"], "accumulate_weight": False}}
    run = await finish(fake_engine, write(tmp_path / "b", "scenes", [{"keyword": "yarn", "weight": 1}], replace, LOAD))
    assert run.state["remembered"] == [{"keyword": "yarn", "weight": 1.0}]


@pytest.mark.parametrize("pipeline, reason", [
    ([{"$lookup": {"from": "x", "localField": "a", "foreignField": "b", "as": "c"}}], r"\$lookup\) is not allowed"),
    ([{"$facet": {"all": [{"$out": "elsewhere"}]}}], r"pipeline.\$facet.all` \(\$out\) is not allowed"),
    ([{"$match": {"workflow_template_id": "posters"}}], "each workflow sees its own keywords only"),
])
async def test_a_pipeline_that_could_reach_further_is_refused(fake_engine, tmp_path, pipeline, reason):
    load = {**LOAD, "inputs": {"mode": "load", "pipeline": pipeline}}
    run = await fake_engine.new_run(write(tmp_path / "a", "scenes", [], load))
    assert await run.advance() is RunStatus.ERROR
    assert re.search(reason, run.error), run.error
