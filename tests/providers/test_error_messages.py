"""What the error messages say, against the stand-in with the real clients:

- a paid POST is sent once; its error must not claim "even after retrying" (a call the SDK did
  retry may still say so);
- a rate-limited answer never says "Try again in 0 s": the wait is rounded up, and our sentence is
  left out when the provider's own message already names a time or the wait is under a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cctui.providers.base import LLMRequest, MediaRequest, ProviderError, TextPart
from cctui.providers.http_errors import wait_hint
from cctui.providers.openai_images import OpenAIImages
from cctui.providers.openai_llm import OpenAILLM
from cctui.providers.sora import SoraClient

SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"],
          "additionalProperties": False}
NO_TIME = {"error": {"message": "Too many requests.", "type": "requests", "param": None,
                     "code": "rate_limit_exceeded"}}


def txt2img(media_dir: Path) -> MediaRequest:
    return MediaRequest(action="txt2img", provider="openai", params={"prompt": "A ginger cat on a windowsill"},
                        media_dir=str(media_dir), stem="msg_img")


def img2vid(media_dir: Path, source: Path) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="openai",
                        params={"prompt": "The cat's whiskers twitch", "duration": 4, "aspect_ratio": "9:16",
                                "quality": "720p"},
                        source_image={"local_path": str(source), "provider": "openai", "metadata": {}},
                        media_dir=str(media_dir), stem="msg_sora")


def ask() -> LLMRequest:
    return LLMRequest(system=["Answer in JSON."], user=[TextPart("A title for a cat video.")],
                      output_schema=SCHEMA, schema_name="title")


async def llm_error(settings, **client_kw) -> ProviderError:
    client = OpenAILLM(settings, **client_kw)
    try:
        with pytest.raises(ProviderError) as info:
            await client.complete(ask())
    finally:
        await client.aclose()
    return info.value


# ---------------------------------------------------------------------- paid POSTs are sent once


async def test_a_paid_image_post_with_a_server_error_says_it_was_sent_once(settings, standin, media_dir, h):
    standin.inject(r"/images/generations$", 500, method="POST", times=None)
    client = OpenAIImages(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(txt2img(media_dir))
    finally:
        await client.aclose()
    message = str(info.value)
    assert h.count(standin, "POST", "/images/generations") == 1
    assert "after retrying" not in message and "retried" in message
    assert "sent once and not retried, because it is paid" in message
    assert info.value.kind == "server"


async def test_a_paid_image_post_that_times_out_says_it_was_sent_once(settings, standin, media_dir, h):
    standin.inject(r"/images/generations$", 200, method="POST", delay=3.0, times=None)
    client = OpenAIImages(settings, timeout=0.5)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(txt2img(media_dir))
    finally:
        await client.aclose()
    message = str(info.value)
    assert h.count(standin, "POST", "/images/generations") == 1
    assert "did not answer in time" in message
    assert "after retrying" not in message
    assert "sent once and not retried, because it is paid" in message
    assert "may have been carried out" in message


async def test_a_paid_sora_create_with_a_server_error_says_it_was_sent_once(settings, standin, media_dir,
                                                                           tmp_path, h):
    source = h.make_image(tmp_path / "src.png", (720, 1280))
    standin.inject(r"/videos$", 503, method="POST", times=None)
    client = SoraClient(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(img2vid(media_dir, source))
    finally:
        await client.aclose()
    message = str(info.value)
    assert h.count(standin, "POST", "/videos") == 1
    assert "after retrying" not in message
    assert "sent once and not retried, because it is paid" in message


async def test_the_retry_claim_follows_what_happened(settings, standin, h):
    standin.inject(r"/chat/completions$", 500, method="POST", times=None)
    once = await llm_error(settings, max_retries=0)
    assert h.count(standin, "POST", "/chat/completions") == 1
    assert "retry" not in str(once).lower()  # sent once: no retry claimed

    retried = await llm_error(settings, max_retries=1)
    assert h.count(standin, "POST", "/chat/completions") == 3
    assert "even after retrying" in str(retried)  # the SDK did retry: it may say so
    assert "paid" not in str(retried)


# ---------------------------------------------------------------------- never "in 0 s"


async def test_the_providers_own_time_is_not_repeated_nor_zeroed(settings, standin):
    # The stand-in's (and OpenAI's) own text: "Rate limit reached for requests. Please try again in 1s."
    standin.inject(r"/chat/completions$", 429, headers={"retry-after-ms": "400"}, times=None)
    error = await llm_error(settings, max_retries=0)
    message = str(error)
    assert "Please try again in 1s" in message
    assert len(re.findall(r"try again in", message, re.IGNORECASE)) == 1, message
    assert not re.search(r"in 0 ?s\b", message), message
    assert error.kind == "rate_limit" and error.retry_after == pytest.approx(0.4)


async def test_a_wait_under_a_second_is_not_said(settings, standin):
    standin.inject(r"/chat/completions$", 429, body=NO_TIME, headers={"retry-after-ms": "300"}, times=None)
    message = str(await llm_error(settings, max_retries=0))
    assert "Too many requests" in message
    assert not re.search(r"in 0 ?s\b", message), message
    assert "Try again in" not in message


async def test_a_wait_is_rounded_up(settings, standin):
    standin.inject(r"/chat/completions$", 429, body=NO_TIME, headers={"retry-after-ms": "2300"}, times=None)
    message = str(await llm_error(settings, max_retries=0))
    assert "Try again in 3 s." in message, message


@pytest.mark.parametrize("wait, provider_text, expected", [
    (0.0, "Too many requests.", ""),
    (0.4, "Too many requests.", ""),
    (0.999, "Too many requests.", ""),
    (1.0, "Too many requests.", " Try again in 1 s."),
    (1.2, "Too many requests.", " Try again in 2 s."),
    (59.01, "Too many requests.", " Try again in 60 s."),
    (None, "Too many requests.", " Try again in a moment."),
    (5.0, "Please try again in 1s.", ""),
    (5.0, "Please try again in 20ms.", ""),
    (5.0, "Please try again in 6m0s.", ""),
    (5.0, "Retry after 2 minutes.", ""),
    (None, "Please try again in 1.5s.", ""),
    (5.0, "Limit of 3 steps per request reached.", " Try again in 5 s."),
])
def test_wait_hint(wait, provider_text, expected):
    assert wait_hint(wait, provider_text) == expected
