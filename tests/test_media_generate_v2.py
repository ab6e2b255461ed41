"""`media.generateV2` over real HTTP against the stand-in: the prompt request it sends, prompts
stored with the question (a reopened run never asks the model again), a retry with feedback, the
generations its tabs start, the tabs that cannot generate, and batch mode.

The workflow is tests/workflows/v2_media (our own, in the seed format): images (txt2img with
Midjourney, Leonardo, OpenAI), video (img2vid with Leonardo and the retired OpenAI video API),
music (txt2audio with ElevenLabs, the default display schema).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cctui.batch import BatchRunner
from cctui.cli import main
from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError
from cctui.engine.v2_prompts import instructions_block
from cctui.providers.registry import Providers
from cctui.records import RunStatus
from cctui.settings import load_settings
from cctui.standin import StandIn

WORKFLOW = Path(__file__).parent / "workflows" / "v2_media"
LLM = "/openai/v1/chat/completions"


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    server = StandIn(keys=None, job_seconds=0.2, data_dir=tmp_path_factory.mktemp("standin")).start()
    yield server
    server.stop()


@pytest.fixture
def settings(standin, tmp_path):
    standin.clear_requests()
    urls = standin.base_urls
    return load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                         openai_api_key="sk-v2-test", openai_base_url=urls["openai"],
                         leonardo_api_key="leo-v2-test", leonardo_base_url=urls["leonardo"],
                         elevenlabs_api_key="el-v2-test", elevenlabs_base_url=urls["elevenlabs"],
                         sora_base_url=urls["sora"])


async def open_engine(settings) -> Engine:
    engine = await Engine.open(settings.db_path, Providers(settings), settings.runs_dir())
    engine.services.jobs.min_poll = 0.05
    return engine


def one_step(tmp_path: Path, step: str = "1_images", **changes) -> Path:
    """The test workflow cut down to one of its steps, with some inputs changed."""
    folder = tmp_path / "wf"
    shutil.copytree(WORKFLOW, folder)
    entry = json.loads((folder / "workflow_v3.json").read_text())
    entry["steps"] = [{"$ref": f"steps/{step}/step.json", "type": "json"}]
    (folder / "workflow_v3.json").write_text(json.dumps(entry))
    step_file = folder / "steps" / step / "step.json"
    spec = json.loads(step_file.read_text())
    spec["modules"][0]["inputs"].update(changes)
    step_file.write_text(json.dumps(spec))
    return folder


async def test_the_prompt_request_has_the_system_block_and_the_built_schema(settings, standin, tmp_path):
    config = {"system": ["You write prompts."], "user": "Prompts for a cat in the {{ state.place }}.",
              "shared_prompt": "Warm light.", "provider_prompts": {"leonardo": "Nouns."}}
    folder = one_step(tmp_path, providers=["leonardo", "openai"], prompt_config=config)
    engine = await open_engine(settings)
    run = await engine.new_run(folder)
    assert await run.advance() is RunStatus.WAITING, run.error
    (request,) = [r for r in standin.requests if r.path == LLM]
    messages = request.json["messages"]
    assert [m["role"] for m in messages] == ["system", "system", "user"]
    assert messages[0]["content"] == "You write prompts."
    block = messages[1]["content"]
    assert block == ("## Shared Provider Instructions\n\nWarm light.\n\n"
                     "Reference: {{shared_prompt_ref}} means 'shared instructions above'.\n\n"
                     "## Provider: leonardo\nFollow provider-specific output requirements.\nNouns.\n\n"
                     "## Provider: openai\nFollow provider-specific output requirements.\n"
                     "Use {{shared_prompt_ref}}.")
    assert messages[2]["content"][0]["text"] == "Prompts for a cat in the reading nook."
    schema = request.json["response_format"]["json_schema"]
    assert schema["strict"] is True
    body = schema["schema"]
    assert body["required"] == ["scene_title", "key_moment", "prompts"]
    prompts = body["properties"]["prompts"]
    assert prompts["required"] == ["leonardo", "openai"] and prompts["additionalProperties"] is False
    assert prompts["properties"]["leonardo"]["required"] == ["prompt", "style_notes"]
    assert prompts["properties"]["openai"]["required"] == ["prompt", "camera_notes"]
    # What the stand-in answered is what the question shows, keyed by provider tab.
    pending = await run.pending()
    stored = pending.resolved_inputs["_generated_prompts"]
    assert set(stored["prompts"]) == {"leonardo", "openai"}
    assert pending.display["data"]["leonardo"]["prompt"] == stored["prompts"]["leonardo"]["prompt"]
    assert pending.display["tabs"] == ["leonardo", "openai"]
    await engine.close()


def test_a_blank_or_missing_provider_text_uses_the_shared_one():
    block = instructions_block({"shared_prompt": "S", "provider_prompts": {"a": "  "}}, ["a", "b"])
    assert block["cache_ttl"] == 10800 and block["type"] == "text"
    assert block["content"].count("Use {{shared_prompt_ref}}.") == 2


async def test_a_reopened_run_does_not_ask_the_model_again_and_generates_from_the_stored_prompts(
        settings, standin):
    engine = await open_engine(settings)
    run = await engine.new_run(WORKFLOW)
    assert await run.advance() is RunStatus.WAITING, run.error
    first = await run.pending()
    await engine.close()
    assert standin.count("POST", LLM) == 1

    engine = await open_engine(settings)  # the app started again: the run is rebuilt from the database
    run = await engine.open_run(run.run_id)
    assert await run.advance() is RunStatus.WAITING
    again = await run.pending()
    assert again.display["data"] == first.display["data"]
    job_id = await run.sub_action(again.interaction_id, "make", "leonardo", {})
    await engine.services.jobs.wait([job_id], timeout=30)
    assert standin.count("POST", LLM) == 1

    # The form's values as Leonardo's client sends them: the schema's default model (one of the
    # client's options), 2:3 as its size, "2" images as a number; the scheduler the client has no
    # option for is not sent.
    (sent,) = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/generations")]
    assert sent.json["modelId"] == "aa77f04e-3eec-4034-9c07-d0f619684628"
    assert (sent.json["width"], sent.json["height"], sent.json["num_images"]) == (1024, 1536, 2)
    assert sent.json["prompt"][:60] == first.display["data"]["leonardo"]["prompt"][:60]  # recorded shortened
    job = await engine.services.store.get_job(job_id)
    assert job.status == "completed" and job.prompt_key == "leonardo"
    params = job.request["params"]
    assert params["num_images"] == 2 and "scheduler" not in params
    assert params["prompt"] == first.display["data"]["leonardo"]["prompt"]
    await run.answer(again.interaction_id, {"select": 0}, "continue")
    assert run.state["image"]["content_id"] and Path(run.state["image"]["local_path"]).is_file()
    assert run.state["image_prompts"] == first.resolved_inputs["_generated_prompts"]
    await engine.close()


async def test_the_forms_options_come_from_the_clients(settings):
    engine = await open_engine(settings)
    run = await engine.new_run(WORKFLOW)
    await run.advance()
    tabs = (await run.pending()).display["schema"]["properties"]
    fields = tabs["leonardo"]["_ux"]["input_schema"]["properties"]
    assert "aa77f04e-3eec-4034-9c07-d0f619684628" in fields["model_id"]["enum"]
    assert fields["model_id"]["enum_labels"]["aa77f04e-3eec-4034-9c07-d0f619684628"] == "Leonardo Kino XL"
    assert fields["num_images"]["enum"] == [str(n) for n in range(1, 9)]
    assert "scheduler" not in fields
    assert tabs["leonardo"]["_ux"]["input_schema"]["_ux"] == {"layout": "grid", "layout_columns": 2}
    assert tabs["openai"]["_ux"]["input_schema"]["properties"]["quality"]["enum"] == ["low", "medium", "high", "auto"]
    await engine.close()


async def test_a_tab_cctui_cannot_generate_with_shows_its_prompt_and_refuses(settings, standin):
    engine = await open_engine(settings)
    run = await engine.new_run(WORKFLOW)
    await run.advance()
    pending = await run.pending()
    tab = pending.display["schema"]["properties"]["midjourney"]["_ux"]
    assert "no public API" in tab["unavailable"]
    assert list(tab["input_schema"]["properties"]) == ["_text"]  # the prompt box, to copy; no settings
    assert pending.display["data"]["midjourney"]["prompt"]
    sent_before = len(standin.requests)
    with pytest.raises(AnswerError, match="Midjourney: Midjourney has no public API.*Nothing was sent"):
        await run.sub_action(pending.interaction_id, "make", "midjourney", {})
    assert len(standin.requests) == sent_before
    assert await engine.services.store.jobs_of_run(run.run_id) == []
    await engine.close()


async def test_a_retry_with_feedback_writes_new_prompts(settings, standin):
    engine = await open_engine(settings)
    run = await engine.new_run(WORKFLOW)
    await run.advance()
    first = await run.pending()
    assert await run.choose(first.interaction_id, "rewrite", "Put a yellow knitted duck in every prompt.") \
        is RunStatus.WAITING
    assert standin.count("POST", LLM) == 2
    messages = [r for r in standin.requests if r.path == LLM][-1].json["messages"]
    assert [m["role"] for m in messages[-3:]] == ["user", "assistant", "user"]
    assert messages[-2]["content"].startswith('{"scene_title"')  # the prompts the creator saw
    assert messages[-1]["content"] == "Put a yellow knitted duck in every prompt."
    second = await run.pending()
    assert second.interaction_id != first.interaction_id
    assert second.resolved_inputs["_generated_prompts"] != first.resolved_inputs["_generated_prompts"]
    await engine.close()


async def test_batch_runs_images_video_and_music(settings, standin, tmp_path):
    answers = {
        "make_images": {"sub_actions": [{"id": "make", "tab": "leonardo", "params": {"num_images": "1"}}],
                        "select": 0},
        "make_video": {"sub_actions": [{"id": "make", "tab": "leonardo", "params": {}}], "select": 0},
        "make_music": {"sub_actions": [{"id": "make", "tab": "elevenlabs_1", "params": {}}], "select": 0},
    }
    engine = await open_engine(settings)
    run = await BatchRunner(engine, answers, out=lambda s: None, job_timeout=60).run(WORKFLOW)
    assert run.status == "completed", run.error
    jobs = await engine.services.store.jobs_of_run(run.run_id)
    assert sorted((j.provider, j.action, j.prompt_key, j.status) for j in jobs) == [
        ("elevenlabs", "txt2music", "elevenlabs_1", "completed"), ("leonardo", "img2vid", "leonardo", "completed"),
        ("leonardo", "txt2img", "leonardo", "completed")]
    assert standin.count("POST", "/elevenlabs/v1/music") == 1
    assert run.state["music_id"] and run.state["video_id"] and run.state["image_id"]
    assert len(run.state["music_prompts"]["prompts"]["elevenlabs"]["data"]) == 3
    assert standin.count("POST", LLM) == 3
    await engine.close()


def test_validate_warns_of_each_provider_that_cannot_generate(capsys):
    assert main(["validate", str(WORKFLOW)]) == 0
    err = capsys.readouterr().err
    assert ("v2_media/steps/1_images/step.json: at $.modules[0].inputs.providers[0]: provider 'midjourney'"
            in err)
    assert "v2_media/steps/2_video/step.json: at $.modules[0].inputs.providers[1]: provider 'openai'" in err
    assert "retired" in err and err.count("warning:") == 2


@pytest.mark.parametrize("providers, path, reason", [
    ([], "$.modules[0].inputs.providers", "name at least one provider"),
    (["leonardo", "dalle"], "$.modules[0].inputs.providers[1]", "provider 'dalle' has no txt2img prompts"),
    (["leonardo", "leonardo"], "$.modules[0].inputs.providers[1]", "provider 'leonardo' is named twice"),
])
def test_providers_the_action_cannot_take_are_refused_at_load(tmp_path, capsys, providers, path, reason):
    folder = one_step(tmp_path, providers=providers)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"wf/steps/1_images/step.json: at {path}: {reason}" in err, err
