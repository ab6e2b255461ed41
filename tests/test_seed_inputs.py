"""Seed-format inputs: display text that is a template is shown rendered against the state
(leniently), and `user.text_input` honours `allow_empty`, in the engine and in batch mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.batch import BatchError, BatchRunner
from cctui.engine.errors import AnswerError


def text_input(name: str, out: str, **inputs) -> dict:
    return {"module_id": "user.text_input", "name": name, "inputs": inputs, "outputs_to_state": {"text": out}}


def write_workflow(root: Path, *modules: dict) -> Path:
    root.mkdir()
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "party", "name": "Party", "initial_state": {"owner": "Ana"},
        "steps": [{"step_id": "plan", "name": "Plan", "modules": list(modules)}]}), encoding="utf-8")
    return root


NAME_AND_THEME = (
    text_input("ask_name", "pet_name", prompt="Your pet's name", allow_empty=False),
    text_input("ask_theme", "theme", prompt="Pick a party theme for {{ state.pet_name }}",
               placeholder="{{ state.owner }}'s idea{{ state.pet_name.nickname }}", default="{{ state.pet_name }}"),
)


@pytest.fixture
def engine(fake_engine):
    return fake_engine


async def test_a_display_template_is_shown_rendered_and_a_missing_path_shows_empty(tmp_path, engine):
    run = await engine.new_run(write_workflow(tmp_path / "wf", *NAME_AND_THEME))
    await run.advance()
    await run.answer((await run.pending()).interaction_id, {"text": "Rex"})
    theme = await run.pending()
    assert theme.display["prompt"] == "Pick a party theme for Rex"
    assert theme.display["placeholder"] == "Ana's idea"
    # `default` is not display text: it is the answer's fallback, kept as written.
    assert theme.display["default"] == "{{ state.pet_name }}"


async def test_a_server_resolved_prompt_is_not_rendered_a_second_time(tmp_path, engine):
    ask = text_input("ask_theme", "theme", prompt="{{ state.owner }}",
                     resolver_schema={"type": "object", "properties": {"prompt": {"resolver": "server"}}})
    folder = write_workflow(tmp_path / "wf", ask)
    run = await engine.new_run(folder)
    run.state["owner"] = "{{ 6 * 7 }}"  # text from the state that looks like a template stays text
    await run.advance()
    assert (await run.pending()).display["prompt"] == "{{ 6 * 7 }}"


async def test_allow_empty_false_refuses_an_empty_answer_and_says_it_is_required(tmp_path, engine):
    run = await engine.new_run(write_workflow(tmp_path / "wf", *NAME_AND_THEME))
    await run.advance()
    ask = await run.pending()
    assert ask.display["required"] is True
    with pytest.raises(AnswerError, match=r"module 'ask_name': an answer is required here \(allow_empty "
                                          r"is false\) and it was empty: type some text"):
        await run.answer(ask.interaction_id, {"text": "   "})
    assert await run.answer(ask.interaction_id, {"text": "Rex"}) == "waiting"
    assert run.state["pet_name"] == "Rex"


async def test_an_empty_answer_takes_the_default_and_optional_text_may_stay_empty(tmp_path, engine):
    modules = (text_input("ask_name", "pet_name", allow_empty=False, default="Miso"),
               text_input("ask_note", "note", allow_empty=True))
    run = await engine.new_run(write_workflow(tmp_path / "wf", *modules))
    await run.advance()
    assert await run.answer((await run.pending()).interaction_id, {"text": ""}) == "waiting"
    assert (await run.pending()).display["required"] is False
    assert await run.answer((await run.pending()).interaction_id, {"text": ""}) == "completed"
    assert (run.state["pet_name"], run.state["note"]) == ("Miso", "")


async def test_allow_empty_left_out_means_each_formats_own_default(tmp_path, engine):
    seed = await engine.new_run(write_workflow(tmp_path / "seed", text_input("ask_note", "note")))
    await seed.advance()
    asked = await seed.pending()
    assert asked.display["required"] is True  # the seed system's allow_empty defaults to false
    with pytest.raises(AnswerError, match="allow_empty is unset: the seed format's default is false"):
        await seed.answer(asked.interaction_id, {"text": "  "})
    own = tmp_path / "own"
    write_workflow(own, text_input("ask_note", "note"))
    wf = own / "workflow_v3.json"
    wf.write_text(wf.read_text(encoding="utf-8").replace('"name": "Party",', '"name": "Party", "undefined_paths": "error",'),
                  encoding="utf-8")
    run = await engine.new_run(own)
    await run.advance()
    assert (await run.pending()).display["required"] is False  # cctui's: optional
    assert await run.answer((await run.pending()).interaction_id, {"text": ""}) == "completed"


async def test_batch_mode_refuses_an_empty_answer_where_it_is_not_allowed(tmp_path, engine):
    folder = write_workflow(tmp_path / "wf", *NAME_AND_THEME)
    answers = {"ask_name": {"text": ""}, "ask_theme": {"text": "pirates"}}
    with pytest.raises(BatchError, match=r"ask_name.*an answer is required here \(allow_empty is false\)"):
        await BatchRunner(engine, answers, out=lambda s: None).run(folder)


async def test_text_input_writes_value_as_the_seed_format_names_it_and_templates_see_now(engine, tmp_path):
    from datetime import datetime

    ask = {"module_id": "user.text_input", "name": "ask_name", "inputs": {"prompt": "Name?"},
           "outputs_to_state": {"value": "pet_name"}}
    stamp = {"module_id": "io.render_template", "name": "stamp",
             "inputs": {"template": "{{ state.pet_name }} {{ now().year }}"}, "outputs_to_state": {"text": "line"}}
    run = await engine.new_run(write_workflow(tmp_path / "seed", ask, stamp))
    await run.advance()
    assert await run.answer((await run.pending()).interaction_id, {"text": "Rex"}) == "completed"
    assert run.state["pet_name"] == "Rex"
    assert run.state["line"] == f"Rex {datetime.now().year}"


async def test_a_pause_in_batch_mode_goes_on_with_an_empty_answer_and_refuses_a_no(engine, tmp_path):
    look = {"module_id": "user.pause", "name": "look", "inputs": {"message": "Check {{ state.owner }}'s plan"},
            "outputs_to_state": {"confirmed": "checked"}}
    folder = write_workflow(tmp_path / "pause", look)
    run = await BatchRunner(engine, {"look": {}}, out=lambda s: None).run(folder)
    assert run.status == "completed" and run.state["checked"] is True
    with pytest.raises(BatchError, match="a pause only goes on"):
        await BatchRunner(engine, {"look": {"confirmed": False}}, out=lambda s: None).run(folder)
    with pytest.raises(BatchError, match="'text' is not an answer"):
        await BatchRunner(engine, {"look": {"text": "ok"}}, out=lambda s: None).run(folder)
