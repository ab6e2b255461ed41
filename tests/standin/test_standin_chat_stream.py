"""The stand-in's Chat Completions with `stream: true`: server-sent events shaped as the real API's."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest
from openai import OpenAI
from scene_schema import SCENES_SCHEMA

SCHEMA = SCENES_SCHEMA
OPENAI = {"authorization": "Bearer sk-test"}
PATH = "/openai/v1/chat/completions"


def body(text: str = "Give me cozy cat scenes.", **extra):
    out = {"model": "gpt-4o-mini",
           "messages": [{"role": "system", "content": "You write pet video scenes."},
                        {"role": "user", "content": text}],
           "response_format": {"type": "json_schema",
                               "json_schema": {"name": "scenes", "schema": SCHEMA, "strict": True}}}
    out.update(extra)
    return out


def events(http: httpx.Client, request: dict) -> tuple[httpx.Response, list[str]]:
    """The `data:` payloads of a streamed answer, in order, read as they arrive."""
    with http.stream("POST", PATH, json=request, headers=OPENAI) as r:
        lines = [line for line in r.iter_lines()]
    assert all(line.startswith("data: ") or line == "" for line in lines), lines[:3]
    return r, [line[len("data: "):] for line in lines if line]


def test_a_streamed_answer_is_the_same_answer_in_chunks_with_usage_last_and_done(http):
    whole = http.post(PATH, json=body(), headers=OPENAI).json()
    r, payloads = events(http, body(stream=True, stream_options={"include_usage": True}))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["transfer-encoding"] == "chunked" and "content-length" not in r.headers
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    content_chunks = [c for c in chunks if c["choices"] and "content" in c["choices"][0]["delta"]]
    assert len(content_chunks) > 5
    text = "".join(c["choices"][0]["delta"]["content"] for c in content_chunks)
    # Seeded from the request: streamed or not, the same answer.
    assert text == whole["choices"][0]["message"]["content"]
    jsonschema.validate(json.loads(text), SCHEMA)
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finish[-1] == "stop" and set(finish[:-1]) == {None}
    # Usage: null on every chunk but the last, which has no choices.
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert all(isinstance(c.get("obfuscation"), str) for c in chunks)


def test_without_include_usage_no_chunk_has_usage_and_obfuscation_can_be_turned_off(http):
    _r, payloads = events(http, body(stream=True, stream_options={"include_obfuscation": False}))
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all("usage" not in c and "obfuscation" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("extra", [{"stream_options": {"include_usage": True}},
                                   {"stream": False, "stream_options": {"include_usage": True}}])
def test_stream_options_without_stream_are_refused(http, extra):
    r = http.post(PATH, json=body(**extra), headers=OPENAI)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == "stream_options" and "only allowed when 'stream' is enabled" in error["message"]


def test_bad_stream_values_are_refused_as_the_schema_says(http):
    r = http.post(PATH, json=body(stream="yes"), headers=OPENAI)
    assert r.status_code == 400 and r.json()["error"]["param"] == "stream"
    r = http.post(PATH, json=body(stream=True, stream_options={"include_usage": "yes"}), headers=OPENAI)
    assert r.status_code == 400 and "stream_options" in r.json()["error"]["param"]


def test_refusal_and_truncation_stream_as_the_real_api_does(http):
    _r, payloads = events(http, body("STANDIN:refuse please", stream=True))
    chunks = [json.loads(p) for p in payloads[:-1]]
    refusal = "".join(c["choices"][0]["delta"].get("refusal") or "" for c in chunks)
    assert refusal.startswith("I'm sorry") and not any(c["choices"][0]["delta"].get("content") for c in chunks)
    _r, payloads = events(http, body("STANDIN:truncate", stream=True))
    assert json.loads(payloads[-2])["choices"][0]["finish_reason"] == "length"


def test_errors_before_the_answer_are_plain_json_not_a_stream(http):
    r = http.post(PATH, json=body("STANDIN:quota", stream=True), headers=OPENAI)
    assert r.status_code == 429 and r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "insufficient_quota"


def test_a_truncate_fault_breaks_the_stream_off_half_way(standin, http):
    standin.inject(PATH + "$", truncate=True)
    seen: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        with http.stream("POST", PATH, json=body(stream=True), headers=OPENAI) as r:
            for line in r.iter_lines():
                seen.append(line)
    assert any(line.startswith("data: {") for line in seen) and "data: [DONE]" not in seen


def test_the_official_sdk_reads_the_stream(standin):
    client = OpenAI(api_key="sk-test", base_url=standin.base_urls["openai"], max_retries=0)
    with client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **body()) as stream:
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    jsonschema.validate(json.loads(text), SCHEMA)
    assert chunks[-1].usage.prompt_tokens > 0 and chunks[-1].choices == []
    assert stream.response.headers["x-request-id"].startswith("req_")


def test_stream_seconds_spreads_the_events_out(tmp_path):
    import time

    from cctui.standin import StandIn

    with StandIn(keys=None, data_dir=tmp_path / "s", stream_seconds=0.6) as srv, httpx.Client(
            base_url=srv.base_url, timeout=30) as http:
        arrived = []
        with http.stream("POST", PATH, json=body(stream=True), headers=OPENAI) as r:
            for line in r.iter_lines():
                if line:
                    arrived.append(time.monotonic())
    assert len(arrived) > 5 and arrived[-1] - arrived[0] >= 0.4


def responses_body(text: str = "Give me cozy cat scenes.", **extra):
    out = {"model": "gpt-4o-mini", "instructions": "You write pet video scenes.", "input": text,
           "text": {"format": {"type": "json_schema", "name": "scenes", "schema": SCHEMA, "strict": True}}}
    out.update(extra)
    return out


def test_responses_stream_typed_events_that_add_up_to_the_whole_response(http):
    whole = http.post("/openai/v1/responses", json=responses_body(), headers=OPENAI).json()
    with http.stream("POST", "/openai/v1/responses", json=responses_body(stream=True), headers=OPENAI) as r:
        lines = list(r.iter_lines())
    assert r.headers["content-type"].startswith("text/event-stream")
    names = [line[len("event: "):] for line in lines if line.startswith("event: ")]
    events = [json.loads(line[len("data: "):]) for line in lines if line.startswith("data: ")]
    assert [e["type"] for e in events] == names and "[DONE]" not in "".join(lines)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert names[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert names[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == whole["output"][0]["content"][0]["text"] == events[-4]["text"]
    assert events[0]["response"]["status"] == "in_progress" and events[-1]["response"]["usage"]["output_tokens"] > 0


def test_the_sdk_reads_a_responses_stream_and_its_refusal(standin):
    client = OpenAI(api_key="sk-test", base_url=standin.base_urls["openai"], max_retries=0)
    with client.responses.create(stream=True, **responses_body()) as stream:
        events = list(stream)
    final = events[-1].response
    jsonschema.validate(json.loads(final.output_text), SCHEMA)
    with client.responses.create(stream=True, **responses_body("STANDIN:refuse")) as stream:
        kinds = [e.type for e in stream]
    assert "response.refusal.delta" in kinds and "response.refusal.done" in kinds


def test_responses_refuse_stream_options_without_stream(http):
    r = http.post("/openai/v1/responses", json=responses_body(stream_options={"include_obfuscation": False}),
                  headers=OPENAI)
    assert r.status_code == 400 and r.json()["error"]["param"] == "stream_options"
