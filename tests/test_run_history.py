"""A run's history at the engine: its questions in order, branching from an earlier one (the
state comes back as it was then, what came after stays in the log as abandoned), branching twice,
and money: a branch sends nothing again."""

from __future__ import annotations

import asyncio
import copy

import pytest

from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError
from cctui.engine.history import Replay
from fakes import FakeProviders

STEP_ONE = ["select_pet_type", "select_aesthetic", "select_duration", "get_user_direction"]


async def open_engine(tmp_path, providers):
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    return engine


async def answer_step_one(run, picks=(1, 2, 0), text="Miso and her duck") -> dict[str, dict]:
    """Answer step 1; the state as it was when each question was asked, by module."""
    seen = {}
    for pick in picks:
        asked = await run.pending()
        seen[asked.module_name] = copy.deepcopy(run.state)
        await run.answer(asked.interaction_id, {"selected_indices": [pick]})
    asked = await run.pending()
    seen[asked.module_name] = copy.deepcopy(run.state)
    await run.answer(asked.interaction_id, {"text": text})
    return seen


async def test_the_timeline_lists_every_question_in_order_with_its_answer(tmp_path, cc_workflow):
    engine = await open_engine(tmp_path, FakeProviders())
    run = await engine.new_run(cc_workflow)
    await run.advance()
    await answer_step_one(run)
    entries = await run.history()
    assert [e.module for e in entries] == [*STEP_ONE, "select_scene"]
    assert [e.step_index for e in entries] == [0, 0, 0, 0, 1]
    assert entries[0].answer.startswith("Dog · A single dog")  # the chosen item as its card shows it
    assert entries[3].answer == "Miso and her duck"
    assert entries[-1].waiting and entries[-1].answer == "waiting for your answer"
    assert not any(e.abandoned for e in entries) and {e.branch for e in entries} == {0}
    assert entries[0].step_title == "Step 1: Pet, Style & Length" and entries[0].question
    assert [e.asked_at for e in entries] == sorted(e.asked_at for e in entries)
    await engine.close()


async def test_branching_from_an_earlier_question_asks_it_again_over_the_state_of_then(tmp_path, cc_workflow):
    providers = FakeProviders()
    engine = await open_engine(tmp_path, providers)
    run = await engine.new_run(cc_workflow)
    await run.advance()
    seen = await answer_step_one(run)
    before = await run.history()
    llm_calls = len(providers.llm_provider.requests)

    status = await run.branch_from(before[1].interaction_id)  # select_aesthetic
    assert status == "waiting"
    asked = await run.pending()
    assert asked.module_name == "select_aesthetic" and asked.interaction_id != before[1].interaction_id
    assert run.state == seen["select_aesthetic"]
    assert asked.display == (await engine.services.store.get_event(before[1].interaction_id)).data["display"]
    assert len(providers.llm_provider.requests) == llm_calls  # nothing was sent again
    assert run.branch == 1

    after = await run.history()
    # Every earlier question is still there; those from the aesthetic on are abandoned.
    assert [e.interaction_id for e in after[:5]] == [e.interaction_id for e in before]
    assert [e.abandoned for e in after] == [False, True, True, True, True, False]
    assert after[-1].waiting and after[-1].module == "select_aesthetic" and after[-1].branch == 1
    assert after[4].answer == "left: branched back to select aesthetic"

    # The run goes on from there with another answer.
    await run.answer(asked.interaction_id, {"selected_indices": [0]})
    assert run.state["aesthetic_selection_indices"] == ["aesthetics", 0]
    assert (await run.pending()).module_name == "select_duration"
    await engine.close()


async def test_branching_twice_and_what_cannot_be_branched_from(tmp_path, cc_workflow):
    engine = await open_engine(tmp_path, FakeProviders())
    run = await engine.new_run(cc_workflow)
    await run.advance()
    seen = await answer_step_one(run)
    first = await run.history()
    with pytest.raises(AnswerError, match="asking that question now"):
        await run.branch_from(first[-1].interaction_id)

    await run.branch_from(first[2].interaction_id)  # select_duration
    asked = await run.pending()
    await run.answer(asked.interaction_id, {"selected_indices": [1]})
    assert (await run.pending()).module_name == "get_user_direction"
    with pytest.raises(AnswerError, match="left when the run went back"):
        await run.branch_from(first[3].interaction_id)  # the abandoned direction question
    with pytest.raises(AnswerError, match="not a question"):
        await run.branch_from(999_999)

    await run.branch_from(first[0].interaction_id)  # back to the very first question
    assert run.state == seen["select_pet_type"] and run.branch == 2
    entries = await run.history()
    assert [(e.module, e.abandoned, e.branch) for e in entries] == [
        ("select_pet_type", True, 0), ("select_aesthetic", True, 0), ("select_duration", True, 0),
        ("get_user_direction", True, 0), ("select_scene", True, 0),
        ("select_duration", True, 1), ("get_user_direction", True, 1),
        ("select_pet_type", False, 2)]
    assert entries[2].answer.startswith("15 seconds") and entries[5].answer.startswith("30 seconds")
    await engine.close()

    # Closed and opened again: the same history, the same question waiting.
    engine = await open_engine(tmp_path, FakeProviders())
    again = await engine.open_run(run.run_id)
    assert await again.history() == entries
    assert (await again.pending()).module_name == "select_pet_type"
    await engine.close()


async def test_folding_the_log_gives_the_state_through_retries_jumps_and_branches(tmp_path, cc_workflow):
    providers = FakeProviders()
    engine = await open_engine(tmp_path, providers)
    run = await engine.new_run(cc_workflow)
    await run.advance()
    await answer_step_one(run)
    asked = await run.pending()
    await run.choose(asked.interaction_id, "retry_scenes", "Make it rainy")
    asked = await run.pending()
    await run.answer(asked.interaction_id, {"selected_indices": [1]})

    async def replayed():
        events = await engine.services.store.events(run.run_id)
        return Replay(run.workflow, events, run.position.get("interaction_id")).state

    assert await replayed() == run.state
    entries = await run.history()
    retried = next(e for e in entries if e.module == "select_scene")
    assert retried.abandoned and retried.answer == "asked again with feedback: Make it rainy"

    # Step 3: one image, then branch back to the scene choice: the image job stays, nothing is resent.
    media = await run.pending()
    assert media.kind == "media"
    job_id = await run.sub_action(media.interaction_id, "generate", "leonardo", {"num_images": 1})
    await engine.services.jobs.wait([job_id], timeout=10)
    submits, llm_calls = providers.submits(), len(providers.llm_provider.requests)
    scene = next(e for e in await run.history() if e.module == "select_scene" and not e.abandoned)
    await run.branch_from(scene.interaction_id)
    assert await replayed() == run.state
    assert "image_prompts" not in run.state and "selected_scene" not in run.state
    asked = await run.pending()
    await run.answer(asked.interaction_id, {"selected_indices": [1]})
    media = await run.pending()
    # The image prompts are made again (the module after the question runs, as after a jump), but
    # no generation is sent again, and the image made before is offered.
    assert providers.submits() == submits
    assert [g["job_id"] for g in media.display["generations"]] == [job_id]
    assert len(providers.llm_provider.requests) == llm_calls + 1
    # Branching from the media question itself sends nothing at all.
    await run.answer(media.interaction_id, {"select": 0})
    llm_calls = len(providers.llm_provider.requests)
    entry = next(e for e in await run.history() if e.interaction_id == media.interaction_id)
    await run.branch_from(entry.interaction_id)
    assert (providers.submits(), len(providers.llm_provider.requests)) == (submits, llm_calls)
    assert [g["job_id"] for g in (await run.pending()).display["generations"]] == [job_id]
    assert await replayed() == run.state
    picked = next(e for e in await run.history() if e.interaction_id == media.interaction_id)
    assert picked.answer.startswith("image from leonardo c_") and picked.abandoned
    await engine.close()


async def test_cctui_history_prints_the_timeline(tmp_path, cc_workflow, capsys):
    from cctui.cli import main

    data = tmp_path / "data"
    engine = await Engine.open(data / "cctui.db", FakeProviders(), data / "runs")
    run = await engine.new_run(cc_workflow)
    await run.advance()
    await answer_step_one(run)
    first = (await run.history())[0]
    await run.branch_from(first.interaction_id)
    await engine.close()

    assert await asyncio.to_thread(main, ["--data-dir", str(data), "history", run.run_id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 7
    assert lines[0].startswith(f"x {first.interaction_id:>5}") and "branch 0  step 1  select_pet_type: Dog" in lines[0]
    assert lines[5].startswith(">") and "branch 1  step 1  select_pet_type: waiting for your answer" in lines[5]
    assert "left when the run went back" in lines[6]
    assert await asyncio.to_thread(main, ["--data-dir", str(data), "history", "nope"]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


async def test_a_finished_run_branches_back_and_finishes_again(tmp_path, fake_engine):
    from one_step_workflow import write

    ask = [{"module_id": "user.text_input", "name": f"ask_{key}", "inputs": {"prompt": f"{key.upper()}?"},
            "outputs_to_state": {"value": key}} for key in ("a", "b")]
    folder = write(tmp_path / "wf", steps=[{"step_id": "one", "name": "One", "modules": [ask[0]]},
                                           {"step_id": "two", "name": "Two", "modules": [ask[1]]}])
    run = await fake_engine.new_run(folder)
    await run.advance()
    for text in ("first", "second"):
        asked = await run.pending()
        await run.answer(asked.interaction_id, {"text": text})
    assert run.status == "completed"
    entries = await run.history()
    assert [(e.question, e.answer, e.step_title) for e in entries] == [("A?", "first", "One"), ("B?", "second", "Two")]

    await run.branch_from(entries[1].interaction_id)
    assert run.status == "waiting" and run.state["a"] == "first" and "b" not in run.state
    asked = await run.pending()
    assert (asked.step_id, asked.display["prompt"]) == ("two", "B?")
    await run.answer(asked.interaction_id, {"text": "third"})
    assert run.status == "completed" and run.state["b"] == "third"
    assert [(e.answer, e.abandoned) for e in await run.history()] == [
        ("first", False), ("second", True), ("third", False)]
