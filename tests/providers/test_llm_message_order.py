"""The order of the messages the LLM reads on a retry with feedback and on a schema-repair re-ask:
system, the module's own prompt (with its images), then the earlier rounds (answer, feedback),
so the newest feedback is the LAST message.

Driven through the engine (so the history is the one `Run._retry_history` builds) with the real
`OpenAILLM` over HTTP against the stand-in; the checks read what the stand-in received."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from cctui.engine.engine import Engine
from cctui.engine.modules.api_llm import schema_errors
from cctui.providers.base import LLMRequest, ProviderError, TextPart
from cctui.providers.openai_llm import OpenAILLM, image_data_url
from cctui.standin.openai_stream import chat_frames
from cctui.standin.records import shorten

BASE = Path(__file__).resolve().parent.parent / "corpus" / "valid_base"
CHAT = "/chat/completions"
SYSTEM = "You write short, warm titles for pet videos.\n"
SYSTEM_2 = "Answer with two titles."
PROMPT = "Three titles for a video about a Cat.\nDirection: a yellow duck\n"
REPAIR_START = "Your answer does not match the required JSON schema:\n- "
REPAIR_END = "\nAnswer again in full, matching the schema exactly."
# Valid for the draft-07 validator the client uses (it ignores `prefixItems`), invalid for the
# 2020-12 validator of `api.llm`: the only way a real OpenAI answer reaches the re-ask.
BAD = json.dumps({"titles": ["BAD", "Nap time"]})


class OneLLM:
    """The engine's provider registry, with only the real OpenAI LLM client in it."""

    def __init__(self, llm: OpenAILLM):
        self.client = llm

    def llm(self, name: str = "openai") -> OpenAILLM:
        return self.client

    def media(self, provider: str, action: str):
        raise ProviderError("no media in this test", "unsupported")


def workflow(tmp_path: Path, photo: Path, *, repair: bool = False) -> Path:
    """The corpus base workflow with an image in the prompt, a second system message, short
    answers (two titles) and, with `repair`, a schema whose 2020-12 rule the client ignores."""
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    wf_file = root / "workflow_v3.json"
    wf = json.loads(wf_file.read_text())
    wf["initial_state"]["photo"] = str(photo)
    wf_file.write_text(json.dumps(wf))
    step_file = root / "steps/2_write/step.json"
    step = json.loads(step_file.read_text())
    inputs = step["modules"][0]["inputs"]
    inputs["resolver_schema"]["properties"]["input"] = {"resolver": "server"}
    inputs["input"] = [inputs["input"], {"type": "image", "content": "{{ state.photo }}"}]
    inputs["system"].append({"type": "text", "content": SYSTEM_2})
    step_file.write_text(json.dumps(step))
    schema_file = root / "steps/2_write/schemas/titles.json"
    schema = json.loads(schema_file.read_text())
    schema["properties"]["titles"].update(minItems=2, maxItems=2)
    if repair:
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        schema["properties"]["titles"]["prefixItems"] = [{"not": {"const": "BAD"}}]
    schema_file.write_text(json.dumps(schema))
    return root


def streamed_content(events: str) -> str:
    """The first choice's content of a streamed chat answer (its `data:` chunks, joined)."""
    chunks = [json.loads(line[len("data: "):]) for line in events.splitlines()
              if line.startswith("data: {")]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


@pytest.fixture
async def setup(settings, tmp_path):
    """(engine, answers): `answers` gets the content of every chat answer the client received,
    read off the wire, so the test knows each earlier answer without asking the engine."""
    answers: list[str] = []

    async def keep(response: httpx.Response) -> None:
        if response.request.url.path.endswith(CHAT):
            await response.aread()
            answers.append(streamed_content(response.text))

    http = httpx.AsyncClient(event_hooks={"response": [keep]})
    llm = OpenAILLM(settings, client=openai.AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
        max_retries=0, http_client=http))
    engine = await Engine.open(tmp_path / "db.sqlite", OneLLM(llm), tmp_path / "runs")
    yield engine, answers
    await engine.close()
    await llm.aclose()
    await http.aclose()


def photo(tmp_path: Path, h) -> Path:
    return h.make_image(tmp_path / "pet.png", (32, 24))


def prompt_message(image: Path) -> dict[str, Any]:
    return {"role": "user", "content": [
        {"type": "text", "text": PROMPT},
        {"type": "image_url", "image_url": {"url": image_data_url(image), "detail": "auto"}}]}


def expected(image: Path, *turns: tuple[str, str]) -> list[dict[str, Any]]:
    """As the stand-in records it (long strings, the image's data URL, shortened)."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "system", "content": SYSTEM_2},
                prompt_message(image), *({"role": role, "content": text} for role, text in turns)]
    return shorten(messages)


def received(standin) -> list[list[dict[str, Any]]]:
    """The `messages` of every chat request the stand-in received, oldest first."""
    return [r.json["messages"] for r in standin.requests if r.method == "POST" and r.path.endswith(CHAT)]


async def start(engine, root: Path):
    run = await engine.new_run(root)
    assert await run.advance() == "waiting"
    await run.answer((await run.pending()).interaction_id, {"selected_indices": [0]})
    await run.answer((await run.pending()).interaction_id, {"text": "a yellow duck"})
    inter = await run.pending()
    assert inter is not None and inter.module_name == "select_title", run.error
    return run


async def retry(run, feedback: str) -> None:
    inter = await run.pending()
    await run.choose(inter.interaction_id, "retry_titles", feedback)
    inter = await run.pending()
    assert inter is not None and inter.module_name == "select_title", run.error


def repair_request(bad: str, root: Path) -> str:
    schema = json.loads((root / "steps/2_write/schemas/titles.json").read_text())
    return REPAIR_START + "\n- ".join(schema_errors(json.loads(bad), schema)) + REPAIR_END


def inject_bad_answer(standin) -> None:
    """The next answer is BAD, streamed as the client asks for it."""
    frames = chat_frames({
        "id": "chatcmpl-bad", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "service_tier": "default", "system_fingerprint": "fp_bad",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": BAD, "refusal": None}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}, {"include_usage": True})
    standin.inject(CHAT + "$", 200, body=b"".join(frames), headers={"content-type": "text/event-stream"})


async def test_feedback_comes_after_the_prompt_and_the_earlier_answer(setup, standin, tmp_path, h):
    engine, answers = setup
    image = photo(tmp_path, h)
    run = await start(engine, workflow(tmp_path, image))
    assert received(standin) == [expected(image)]

    await retry(run, "Make them about the rain.")
    sent = received(standin)
    assert len(sent) == 2 and len(answers) == 2
    assert all(shorten(a) == a for a in answers), "answers must be short enough to be compared whole"
    assert sent[1] == expected(image, ("assistant", answers[0]), ("user", "Make them about the rain."))

    # A second retry in a row: every earlier round, oldest first, the newest feedback last.
    await retry(run, "Shorter, please.")
    sent = received(standin)
    assert len(sent) == 3
    assert sent[2] == expected(image, ("assistant", answers[0]), ("user", "Make them about the rain."),
                               ("assistant", answers[1]), ("user", "Shorter, please."))
    assert run.state["titles"] == json.loads(answers[2])


async def test_a_retry_after_going_back_keeps_every_earlier_round(setup, standin, tmp_path, h):
    """Going back to the choice (a new branch, the LLM module not run again) and then retrying:
    the model still reads what it answered before, and the feedback it was given."""
    engine, answers = setup
    image = photo(tmp_path, h)
    run = await start(engine, workflow(tmp_path, image))
    await retry(run, "Make them about the rain.")
    assert await run.jump_to("write", "select_title") == "waiting"
    assert len(received(standin)) == 2  # going back asks the model nothing
    await retry(run, "Shorter, please.")
    sent = received(standin)
    assert len(sent) == 3
    assert sent[2] == expected(image, ("assistant", answers[0]), ("user", "Make them about the rain."),
                               ("assistant", answers[1]), ("user", "Shorter, please."))


async def test_schema_repair_comes_after_the_prompt_and_the_earlier_rounds(setup, standin, tmp_path, h):
    engine, answers = setup
    image = photo(tmp_path, h)
    root = workflow(tmp_path, image, repair=True)
    fix = repair_request(BAD, root)
    assert "$.titles[0]" in fix

    # First run: the answer does not fit the schema and is re-asked at once.
    inject_bad_answer(standin)
    run = await start(engine, root)
    sent = received(standin)
    assert len(sent) == 2 and answers[0] == BAD
    assert sent[0] == expected(image)
    assert sent[1] == expected(image, ("assistant", BAD), ("user", fix))
    assert run.state["titles"] == json.loads(answers[1])

    # A retry with feedback (the repaired answer is the earlier one), then a bad answer again.
    inject_bad_answer(standin)
    await retry(run, "Make them about the rain.")
    sent = received(standin)
    assert len(sent) == 4 and answers[2] == BAD
    assert sent[2] == expected(image, ("assistant", answers[1]), ("user", "Make them about the rain."))
    assert sent[3] == expected(image, ("assistant", answers[1]), ("user", "Make them about the rain."),
                               ("assistant", BAD), ("user", fix))
    assert run.state["titles"] == json.loads(answers[3])


# --------------------------------------------------------------------------- the stand-in


SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}, "required": ["prompt"],
          "additionalProperties": False}


def retried(prompt: str, earlier: str, feedback: str) -> LLMRequest:
    return LLMRequest(system=["You help with pet videos."], user=[TextPart(prompt)], output_schema=SCHEMA,
                      schema_name="output", history=[{"role": "assistant", "content": earlier},
                                                     {"role": "user", "content": feedback}])


async def test_the_standin_reads_markers_from_the_prompt_not_the_feedback(settings):
    llm = OpenAILLM(settings, max_retries=0)
    try:
        with pytest.raises(ProviderError) as info:
            await llm.complete(retried("A cat. STANDIN:refuse", '{"prompt": "x"}', "Try again."))
        assert info.value.kind == "refusal"
        result = await llm.complete(retried("A cat.", '{"prompt": "x"}', "Again. STANDIN:refuse"))
        assert result.data["prompt"]
    finally:
        await llm.aclose()


async def test_the_standin_answers_a_retry_in_the_prompts_domain(settings):
    """A music request re-asked after a long answer about video is still answered as music."""
    earlier = json.dumps({"prompt": "A static video shot of the cat, camera locked off. " * 40})
    llm = OpenAILLM(settings, max_retries=0)
    try:
        first = await llm.complete(LLMRequest(system=["You help with pet videos."],
                                              user=[TextPart("A calm soundtrack for my cat.")],
                                              output_schema=SCHEMA, schema_name="output"))
        again = await llm.complete(retried("A calm soundtrack for my cat.", earlier, "Slower, please."))
    finally:
        await llm.aclose()
    assert first.data["prompt"].startswith("Gentle instrumental")
    assert again.data["prompt"].startswith("Gentle instrumental")
