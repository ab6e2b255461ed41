"""OpenAILLM over HTTP against the stand-in: structured output, images, every error kind, and
the SDK's own retries."""

from __future__ import annotations

import time

import pytest

from cctui.providers.base import ImagePart, LLMRequest, ProviderError, TextPart
from cctui.providers.openai_llm import OpenAILLM

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "scenes": {"type": "array", "minItems": 2, "maxItems": 3,
                   "items": {"type": "object",
                             "properties": {"description": {"type": "string"},
                                            "mood": {"type": "string",
                                                     "enum": ["calm", "playful"]}},
                             "required": ["description", "mood"],
                             "additionalProperties": False}},
    },
    "required": ["title", "scenes"],
    "additionalProperties": False,
}


def request(text: str = "A sleepy cat in a sunbeam.", **kw) -> LLMRequest:
    return LLMRequest(system=["You write pet video scenes.", "Answer in JSON."],
                      user=[TextPart(text)], output_schema=SCHEMA,
                      schema_name="cc scene/generation", **kw)


@pytest.fixture
async def llm(settings):
    client = OpenAILLM(settings)
    yield client
    await client.aclose()


CHAT = "/chat/completions"


def chat_posts(standin) -> int:
    return standin.count("POST", r"/chat/completions$", regex=True)


async def test_structured_answer_with_an_image(llm, standin, tmp_path, h):
    photo = h.make_image(tmp_path / "pet.png", (64, 48))
    result = await llm.complete(LLMRequest(
        system=["You describe pet photos."], user=[TextPart("What is here?"), ImagePart(photo)],
        output_schema=SCHEMA, schema_name="image analysis"))
    assert set(result.data) == {"title", "scenes"} and 2 <= len(result.data["scenes"]) <= 3
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.model
    sent = h.last(standin, "POST", CHAT).json
    content = sent["messages"][-1]["content"]
    image = [part for part in content if part["type"] == "image_url"][0]
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert sent["response_format"]["json_schema"]["name"] == "image_analysis"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


async def test_request_model_overrides_the_default(llm, standin, h):
    result = await llm.complete(request(model="gpt-4.1"))
    assert result.model.startswith("gpt-4.1")
    assert h.last(standin, "POST", CHAT).json["model"] == "gpt-4.1"


@pytest.mark.parametrize("marker, kind, words", [
    ("refuse", "refusal", "declined"),
    ("truncate", "truncated", "cut off"),
    ("invalid", "invalid_output", "schema"),
    ("quota", "quota", "credits"),
])
async def test_error_kinds_from_markers(llm, settings, h, marker, kind, words):
    with pytest.raises(ProviderError) as info:
        await llm.complete(request(f"A cat. STANDIN:{marker}"))
    assert info.value.kind == kind, info.value.message
    assert words in info.value.message
    h.assert_no_secret(settings, info.value.message, repr(info.value))


async def test_invalid_output_names_where(llm):
    with pytest.raises(ProviderError) as info:
        await llm.complete(request("STANDIN:invalid"))
    assert info.value.kind == "invalid_output"
    assert " at " in info.value.message


async def test_rate_limit_after_retries_carries_retry_after(llm, standin):
    with pytest.raises(ProviderError) as info:
        await llm.complete(request("STANDIN:ratelimit"))
    assert info.value.kind == "rate_limit" and info.value.retryable
    assert info.value.retry_after is not None
    assert chat_posts(standin) == 3  # the SDK's 2 retries, then the error


async def test_server_error_after_retries(llm, standin):
    with pytest.raises(ProviderError) as info:
        await llm.complete(request("STANDIN:500"))
    assert info.value.kind == "server" and info.value.status == 500
    assert chat_posts(standin) == 3


async def test_429_with_retry_after_then_success(llm, standin):
    standin.inject(CHAT, 429, headers={"Retry-After": "0.3"}, times=1)
    started = time.monotonic()
    result = await llm.complete(request())
    assert result.data["title"]
    assert time.monotonic() - started >= 0.3
    assert chat_posts(standin) == 2


async def test_500_then_success(llm, standin):
    standin.inject(CHAT, 500, times=1)
    assert (await llm.complete(request())).data
    assert chat_posts(standin) == 2


async def test_wrong_key_is_auth(standin, tmp_path, h):
    settings = h.make_settings(standin, tmp_path, openai_api_key="sk-wrong-key-123")
    client = OpenAILLM(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.complete(request())
    finally:
        await client.aclose()
    assert info.value.kind == "auth" and "OPENAI_API_KEY" in info.value.message
    assert "sk-wrong-key-123" not in info.value.message
    assert info.value.request_id


async def test_unknown_model_is_not_found(llm, standin):
    # The stand-in's Chat Completions accepts any model name, so the 404 the real service gives
    # for an unknown model is injected here in OpenAI's own shape.
    standin.inject(r"/chat/completions$", 404, body={"error": {
        "message": "The model `no-such-model` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found"}})
    with pytest.raises(ProviderError) as info:
        await llm.complete(request(model="no-such-model"))
    assert info.value.kind == "not_found" and "no-such-model" in info.value.message


async def test_non_strict_schema_is_bad_request(llm, standin):
    loose = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
             "required": ["a"], "additionalProperties": False}
    with pytest.raises(ProviderError) as info:
        await llm.complete(LLMRequest(system=[], user=[TextPart("x")], output_schema=loose,
                                      schema_name="loose"))
    assert info.value.kind == "bad_request" and info.value.status == 400
    assert chat_posts(standin) == 1  # a 400 is not retried
