"""An LLM step's answer streams in: the engine hands on what has arrived (`PartialAnswer`), and
stores only the checked whole. Real `OpenAILLM` over HTTP against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cctui.costs.ledger import Ledger
from cctui.engine.engine import Engine
from cctui.engine.events import ModuleFinished, PartialAnswer
from cctui.engine.partial_answer import PartialAnswers, parse_partial
from cctui.providers import openai_llm
from cctui.settings import Settings
from one_step_workflow import resolved, write
from scene_schema import SCENES_SCHEMA

SCHEMA = SCENES_SCHEMA
CHAT = "/openai/v1/chat/completions"


def workflow(tmp_path: Path) -> Path:
    return write(tmp_path / "wf", {
        "module_id": "api.llm", "name": "write_scenes",
        "inputs": {"resolver_schema": resolved("input"), "input": "Four scenes for a video of a cat, as json.",
                   "output_schema": SCHEMA},
        "outputs_to_state": {"response": "scenes_answer"}})


@pytest.fixture
async def engine(standin, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", openai_api_key="sk-test",
                        openai_base_url=standin.base_urls["openai"])
    engine = await Engine.from_settings(settings)
    yield engine
    await engine.close()


def grows_from(before: Any, after: Any) -> bool:
    """`after` is `before` with more written: strings longer, lists and objects with more in them."""
    if isinstance(before, dict):
        return isinstance(after, dict) and all(k in after and grows_from(v, after[k]) for k, v in before.items())
    if isinstance(before, list):
        return isinstance(after, list) and len(before) <= len(after) and all(
            grows_from(b, a) for b, a in zip(before, after))
    if isinstance(before, str):
        return isinstance(after, str) and after.startswith(before)
    return before == after


async def test_the_answer_arrives_in_growing_parts_and_the_whole_is_stored(engine, standin, tmp_path):
    heard: list[Any] = []
    engine.subscribe(heard.append)
    standin.inject(CHAT + "$", throttle=1.5)  # the stream spread over 1.5 s: ~15 parts at 10 a second
    run = await engine.new_run(workflow(tmp_path))
    assert await run.advance() == "completed", run.error
    parts = [e for e in heard if isinstance(e, PartialAnswer)]
    assert len(parts) >= 5, len(parts)
    assert all(p.step_id == "s" and p.module == "write_scenes" and p.schema == SCHEMA for p in parts)
    for before, after in zip(parts, parts[1:]):
        assert before.data != after.data and grows_from(before.data, after.data), (before.data, after.data)
    stored = run.state["scenes_answer"]
    jsonschema.validate(stored, SCHEMA)
    assert grows_from(parts[-1].data, stored) and parts[0].data != stored
    # Every part came before the module finished.
    finished = next(i for i, e in enumerate(heard) if isinstance(e, ModuleFinished))
    assert max(i for i, e in enumerate(heard) if isinstance(e, PartialAnswer)) < finished
    # The stored answer is the text the stand-in sent, and its usage (asked for) is in the ledger.
    assert json.loads(run.state["write_scenes"]["_raw"]) == stored
    sent = [r for r in standin.requests if r.path == CHAT]
    assert len(sent) == 1 and sent[0].json["stream"] is True
    assert sent[0].json["stream_options"] == {"include_usage": True}
    rows = await Ledger(engine.services.store).rows(run.run_id)
    assert len(rows) == 1 and rows[0]["kind"] == "llm"
    detail = json.loads(rows[0]["detail"]) if isinstance(rows[0]["detail"], str) else rows[0]["detail"]
    assert detail["input_tokens"] > 0 and detail["output_tokens"] > 0
    assert run.state["write_scenes"]["_usage"]["output_tokens"] == detail["output_tokens"]


async def test_a_stream_broken_off_every_time_is_a_clear_error_and_nothing_is_stored(engine, standin, tmp_path):
    heard: list[Any] = []
    engine.subscribe(heard.append)
    attempts = openai_llm.UNREADABLE_RETRIES + 1
    standin.inject(CHAT + "$", truncate=True, throttle=0.5, times=attempts)
    run = await engine.new_run(workflow(tmp_path))
    assert await run.advance() == "error"
    assert "broke off while the answer was read" in run.error and "Traceback" not in run.error
    assert "scenes_answer" not in run.state and "write_scenes" not in run.state
    assert any(isinstance(e, PartialAnswer) for e in heard)  # it was seen arriving, then lost
    assert standin.count("POST", CHAT) == attempts  # asked again as an unreadable answer is, no more
    assert await Ledger(engine.services.store).rows(run.run_id) == []
    # Trying again (the creator's choice) asks once more, and this time the answer is whole.
    assert await run.retry_failed() == "completed", run.error
    jsonschema.validate(run.state["scenes_answer"], SCHEMA)


async def test_a_stream_broken_off_once_is_asked_again_and_stored_whole(engine, standin, tmp_path):
    standin.inject(CHAT + "$", truncate=True, times=1)
    run = await engine.new_run(workflow(tmp_path))
    assert await run.advance() == "completed", run.error
    jsonschema.validate(run.state["scenes_answer"], SCHEMA)
    assert standin.count("POST", CHAT) == 2
    assert len(await Ledger(engine.services.store).rows(run.run_id)) == 1


def test_partial_answers_are_throttled_and_only_changes_are_passed_on():
    now = [0.0]
    got: list[dict] = []
    watch = PartialAnswers(got.append, interval=0.1, clock=lambda: now[0])
    text = '{"scenes": [{"title": "A sunny nap", "description": "The cat stretches"}]}'
    for end in range(1, len(text) + 1):
        watch(text[:end])
        now[0] += 0.01
    # ~0.8 s of text at 10 parts a second at most, each one different and readable.
    assert 3 <= len(got) <= 9, got
    assert all(a != b for a, b in zip(got, got[1:]))
    assert parse_partial('{"scenes": [{"title": "A sun') == {"scenes": [{"title": "A sun"}]}
    assert parse_partial("") is None and parse_partial('{"sc') is None and parse_partial("[1, 2") is None


DISPLAY = {"type": "object", "properties": {"items": {
    "type": "array", "_ux": {"display": "visible"},
    "items": {"type": "object", "_ux": {"render_as": "card", "selectable": True},
              "properties": {"title": {"type": "string", "_ux": {"render_as": "card-title"}}}}}}}


def with_select(tmp_path: Path) -> Path:
    return write(tmp_path / "wf2", {
        "module_id": "api.llm", "name": "write_scenes",
        "inputs": {"resolver_schema": resolved("input"), "input": "Scenes, as json.", "output_schema": SCHEMA},
        "outputs_to_state": {"response": "scenes_answer"}}, {
        "module_id": "user.select", "name": "pick",
        "inputs": {"resolver_schema": resolved("data"), "data": {"items": "{{ state.scenes_answer.scenes }}"},
                   "schema": DISPLAY, "prompt": "Pick one"},
        "outputs_to_state": {"selected_data": "picked"}})


async def test_the_answer_so_far_is_shown_as_the_next_question_will_show_it(engine, tmp_path):
    from cctui.engine.answer_preview import next_display

    run = await engine.new_run(with_select(tmp_path))
    part = {"scenes": [{"title": "Sunbeam nap", "description": "Warm"}, {"title": "Sock he"}]}
    event = PartialAnswer(run.run_id, "s", "write_scenes", "response", part, SCHEMA)
    assert await next_display(run, event) == (DISPLAY, {"items": part["scenes"]})
    # Nothing to choose from yet, another module's answer, or no question next: not shown that way.
    assert await next_display(run, PartialAnswer(run.run_id, "s", "write_scenes", "response", {"x": 1},
                                                 SCHEMA)) is None
    assert await next_display(run, PartialAnswer(run.run_id, "s", "other", "response", part, SCHEMA)) is None
    alone = await engine.new_run(workflow(tmp_path))
    assert await next_display(alone, event) is None
    assert "scenes_answer" not in run.state and "write_scenes" not in run.state  # nothing was written
