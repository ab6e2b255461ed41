"""Deciding a job that may or may not have reached the provider, from the paused media step."""

from __future__ import annotations

import pytest

from cctui.batch import BatchError, BatchRunner, load_answers
from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError
from fakes import FakeProviders


async def paused_at_images(tmp_path, cc_workflow, providers):
    answers = {k: v for k, v in load_answers(cc_workflow.parent.parent / "examples" / "cc-answers.json").items()
               if k in ("select_pet_type", "select_aesthetic", "select_duration", "get_user_direction",
                        "select_scene")}
    engine = await Engine.open(tmp_path / "db", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    run = await engine.new_run(cc_workflow)
    with pytest.raises(BatchError, match="generate_and_select_images"):
        await BatchRunner(engine, answers, out=lambda s: None).drive(run)
    return engine, run, await run.pending()


async def test_resubmit_sends_once_more_and_dismiss_gives_up(tmp_path, cc_workflow):
    providers = FakeProviders()
    engine, run, inter = await paused_at_images(tmp_path, cc_workflow, providers)
    store, jobs = engine.services.store, engine.services.jobs
    first = await run.sub_action(inter.interaction_id, "generate", "openai")
    second = await run.sub_action(inter.interaction_id, "generate", "openai")
    await jobs.wait()
    # As after a crash between submit and storing the provider's id.
    for job_id in (first, second):
        await store.update_job(job_id, status="unknown", provider_job_id=None)
    submits = providers.submits()

    with pytest.raises(AnswerError, match="bogus"):
        await run.decide_job(inter.interaction_id, first, "bogus")
    await run.decide_job(inter.interaction_id, first, "resubmit")
    await jobs.wait()
    assert providers.submits() == submits + 1
    assert (await store.get_job(first)).status == "completed"
    await run.decide_job(inter.interaction_id, second, "dismiss")
    assert (await store.get_job(second)).status == "cancelled" and providers.submits() == submits + 1
    # Decided jobs wait for nothing more; a job of another step is refused.
    with pytest.raises(AnswerError, match="cannot be resubmitted in status completed"):
        await run.decide_job(inter.interaction_id, first, "resubmit")
    with pytest.raises(AnswerError, match="not one of this step's generations"):
        await run.decide_job(inter.interaction_id, "j_elsewhere", "dismiss")
    decided = [e.data for e in await store.events(run.run_id) if e.type == "job_decided"]
    assert [(d["job_id"], d["decision"]) for d in decided] == [(first, "resubmit"), (second, "dismiss")]
    await engine.close()
