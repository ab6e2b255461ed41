"""Batch mode resumes a stored run (`cctui run ... --resume RUN_ID`): answers already used are not
used again, generations already started are followed (never sent twice), a job whose submit may
or may not have arrived stops the run until the user decides, and a failed module is retried."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cctui.batch import BatchError, BatchRunner, load_answers
from cctui.cli import main
from cctui.engine.engine import Engine
from cctui.providers.base import ProviderError
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cc-answers.json"


async def open_engine(tmp_path: Path, providers) -> Engine:
    engine = await Engine.open(tmp_path / "cctui.db", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    return engine


def submits(providers: FakeProviders) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for name, media in providers.media_providers.items():
        for request in media.submits:
            out[(name, request.action)] = out.get((name, request.action), 0) + 1
    return out


async def test_resume_follows_started_jobs_and_never_sends_them_again(tmp_path, cc_workflow):
    first = FakeProviders(polls=10**9)  # the first image job never finishes in this process
    engine = await open_engine(tmp_path, first)
    task = asyncio.create_task(BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).run(cc_workflow))
    store = engine.services.store
    for _ in range(500):
        rows = [r for r in await store.list_jobs_by_status("running")]
        if rows:
            break
        await asyncio.sleep(0.02)
    assert rows, "the first image job never started"
    task.cancel()  # the process stops here, as a kill would stop it
    with pytest.raises(asyncio.CancelledError):
        await task
    run_id = rows[0].run_id
    await engine.close()
    assert submits(first) == {("leonardo", "txt2img"): 1}

    second = FakeProviders(polls=2)
    engine = await open_engine(tmp_path, second)
    lines: list[str] = []
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lines.append).resume(run_id)
    await engine.close()
    assert run.status == "completed" and run.run_id == run_id
    assert lines[0].startswith(f"resuming run {run_id}") and "Image Generation" in lines[0]
    assert ("leonardo", "txt2img") not in submits(second)  # followed again, not sent again
    assert submits(second)[("openai", "txt2img")] == 1
    assert sum(" done: " in line for line in lines) == 8  # steps 3 to 10; 1 and 2 were done before


async def test_an_unknown_job_stops_the_run_until_the_user_decides(tmp_path, cc_workflow):
    providers = FakeProviders()
    leonardo = providers.media_providers["leonardo"]
    real_submit = leonardo.submit
    calls = {"n": 0}

    async def timed_out_once(request):
        calls["n"] += 1
        if calls["n"] == 1:
            leonardo.submits.append(request)
            raise ProviderError("Leonardo did not answer in time", "server", provider="leonardo")
        return await real_submit(request)

    leonardo.submit = timed_out_once
    engine = await open_engine(tmp_path, providers)
    with pytest.raises(BatchError) as info:
        await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).run(cc_workflow)
    message = str(info.value)
    (job,) = await engine.services.store.list_jobs_by_status("unknown")
    assert "may or may not have reached the provider" in message
    assert f"cctui jobs --resubmit {job.job_id}" in message and f"--resume {job.run_id}" in message
    assert submits(providers) == {("leonardo", "txt2img"): 1}  # nothing else was started after it

    # Resuming without a decision stops again, and sends nothing.
    with pytest.raises(BatchError, match="may or may not"):
        await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).resume(job.run_id)
    assert submits(providers) == {("leonardo", "txt2img"): 1}

    await engine.services.jobs.resubmit(job.job_id)  # what `cctui jobs --resubmit` does
    await engine.services.jobs.wait([job.job_id])
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).resume(job.run_id)
    await engine.close()
    assert run.status == "completed"
    counts = submits(providers)
    assert counts[("leonardo", "txt2img")] == 2 and counts[("openai", "txt2img")] == 1
    assert counts[("leonardo", "img2vid")] == 1 and counts[("openai", "img2vid")] == 1


async def test_a_failed_generation_stops_the_run_instead_of_choosing_another(tmp_path, cc_workflow):
    answers = load_answers(EXAMPLE)
    answers["generate_and_select_videos"]["sub_actions"][0]["params"] = {"prompt": "FAIL please"}
    engine = await open_engine(tmp_path, FakeProviders())
    with pytest.raises(BatchError) as info:
        await BatchRunner(engine, answers, out=lambda s: None).run(cc_workflow)
    await engine.close()
    assert "the leonardo img2vid generation" in str(info.value) and "failed: the provider failed this job" in \
        str(info.value)
    assert "cctui jobs --resubmit" in str(info.value)


async def test_resume_replays_answer_lists_from_where_the_run_is(tmp_path, cc_workflow):
    answers = load_answers(EXAMPLE)
    answers["select_scene"] = [{"option": "retry_scenes", "feedback": "more snow"}, {"select": [2]}]
    partial = load_answers(EXAMPLE)
    partial["select_scene"] = answers["select_scene"]
    del partial["select_title"]
    providers = FakeProviders()
    engine = await open_engine(tmp_path, providers)
    with pytest.raises(BatchError, match="no answer for module 'select_title'"):
        await BatchRunner(engine, partial, out=lambda s: None).run(cc_workflow)
    (row,) = await engine.list_runs()
    await engine.close()

    engine = await open_engine(tmp_path, providers)
    run = await BatchRunner(engine, answers, out=lambda s: None).resume(row.run_id)
    await engine.close()
    assert run.status == "completed"
    assert run.state["selected_scene"] == run.state["scene_concepts"]["scenes"][2]
    assert len(providers.llm_provider.for_schema("scene")) == 2  # asked, retried once: not again


async def test_resume_retries_the_module_that_failed(tmp_path, cc_workflow):
    providers = FakeProviders()
    llm = providers.llm_provider
    real = llm.complete
    failures = {"left": 1}

    async def fails_once(request):
        if "scene" in request.schema_name and failures["left"]:
            failures["left"] -= 1
            raise ProviderError("OpenAI had a server error (500)", "server", provider="openai")
        return await real(request)

    llm.complete = fails_once
    engine = await open_engine(tmp_path, providers)
    with pytest.raises(BatchError, match="OpenAI had a server error"):
        await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).run(cc_workflow)
    (row,) = await engine.list_runs()
    assert row.status == "error"
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).resume(row.run_id)
    await engine.close()
    assert run.status == "completed"


async def test_cli_resume(tmp_path, cc_workflow, capsys, monkeypatch):
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "none.toml"))
    data = tmp_path / "data"
    engine = await Engine.open(data / "cctui.db", FakeProviders(), data / "runs")
    engine.services.jobs.min_poll = 0.01
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).run(cc_workflow)
    await engine.close()

    def cli(*args: str) -> int:
        # `main` runs its own event loop: call it from a thread, away from this test's loop.
        return await_thread(lambda: main(["--data-dir", str(data), "run", str(cc_workflow), "--answers", str(EXAMPLE),
                                          *args]))

    assert await cli("--resume", run.run_id) == 0
    assert f"completed run {run.run_id}" in capsys.readouterr().out
    assert await cli("--resume", "20990101-000000-abcdef") == 2
    err = capsys.readouterr().err
    assert "no run '20990101-000000-abcdef'" in err and "Traceback" not in err


def await_thread(fn):
    return asyncio.get_running_loop().run_in_executor(None, fn)
