"""OpenAILLM reads its answers as a stream (against the stand-in over HTTP): the listener hears the
text grow, the result is the whole answer, and a stream that ends wrong is a clear error."""

from __future__ import annotations

import json

import pytest

from cctui.providers.base import LLMRequest, ProviderError, TextPart
from cctui.providers.openai_llm import OpenAILLM
from cctui.standin.openai_stream import chat_frames

SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}, "story": {"type": "string"}},
          "required": ["title", "story"], "additionalProperties": False}
CHAT = "/chat/completions$"


def ask(text: str = "A sleepy cat in a sunbeam.") -> LLMRequest:
    return LLMRequest(system=["You write pet video scenes."], user=[TextPart(text)], output_schema=SCHEMA,
                      schema_name="scene")


@pytest.fixture
async def llm(settings):
    client = OpenAILLM(settings)
    yield client
    await client.aclose()


def canned(content: str, finish: str | None, *, usage: bool = True) -> bytes:
    """A stream the stand-in sends as it is: `content`, ending with `finish` (None: never said,
    though the stream closes properly with [DONE])."""
    frames = chat_frames({
        "id": "chatcmpl-x", "created": 0, "model": "gpt-4o-mini", "service_tier": "default",
        "system_fingerprint": "fp_x", "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        "choices": [{"index": 0, "finish_reason": finish, "message": {"content": content, "refusal": None}}]},
        {"include_usage": usage})
    return b"".join(frames)


async def test_the_listener_hears_the_text_grow_to_the_whole_answer(llm, standin):
    heard: list[str] = []
    request = ask()
    request.on_text = heard.append
    result = await llm.complete(request)
    assert len(heard) > 3 and all(b.startswith(a) and len(b) > len(a) for a, b in zip(heard, heard[1:]))
    assert heard[-1] == result.raw_text and json.loads(result.raw_text) == result.data
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    sent = [r.json for r in standin.requests if r.path.endswith("/chat/completions")][-1]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_a_streamed_refusal_and_a_cut_answer_are_the_usual_errors(llm):
    with pytest.raises(ProviderError) as info:
        await llm.complete(ask("STANDIN:refuse"))
    assert info.value.kind == "refusal" and "declined to answer: I'm sorry" in str(info.value)
    with pytest.raises(ProviderError) as info:
        await llm.complete(ask("STANDIN:truncate"))
    assert info.value.kind == "truncated"


async def test_a_stream_that_ends_without_finishing_is_an_error_not_an_answer(llm, standin):
    whole = json.dumps({"title": "Nap", "story": "Zzz"})
    standin.inject(CHAT, 200, body=canned(whole, None), headers={"content-type": "text/event-stream"})
    with pytest.raises(ProviderError) as info:
        await llm.complete(ask())
    assert info.value.kind == "server" and "stopped before it was finished" in str(info.value)


async def test_usage_is_what_the_last_chunk_says(llm, standin):
    whole = json.dumps({"title": "Nap", "story": "Zzz"})
    standin.inject(CHAT, 200, body=canned(whole, "stop"), headers={"content-type": "text/event-stream"})
    result = await llm.complete(ask())
    assert result.data == {"title": "Nap", "story": "Zzz"}
    assert (result.usage.input_tokens, result.usage.output_tokens) == (7, 3)
