"""Chat Completions with `stream: true`, as the real API sends it: server-sent events.

Each event is one `data: <chat.completion.chunk JSON>` frame: first the role (an empty content),
then the content (or the refusal) a few characters at a time, then an empty delta with the
`finish_reason`; with `stream_options.include_usage`, every chunk carries `usage: null` and one
more chunk with no choices carries the usage; the stream ends with `data: [DONE]`. Like the real
service, a chunk has an `obfuscation` string unless `stream_options.include_obfuscation` is false.

The Responses API streams typed events instead (`event: <type>` and `data:` lines, each with a
`sequence_number`): `response.created`, `response.in_progress`, the output item and its content
part added, the text (or refusal) in deltas, then each of them done, and `response.completed`
(or `response.incomplete`) with the whole response; no `[DONE]`.

Errors found before the answer (a bad request, a quota) are plain JSON answers, not streams.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from .errors import openai_error

# The real service sends about one token (4 characters) per chunk; a long answer is sent in
# larger pieces here, so that no stream has more than this many content chunks.
MAX_CONTENT_CHUNKS = 200
_OBFUSCATION = string.ascii_letters + string.digits


def check_stream_options(body: dict[str, Any]) -> bool:
    """Whether the request streams; 400 for stream options without `stream: true`, as the real API."""
    streaming = body.get("stream") is True
    if body.get("stream_options") is not None and not streaming:
        raise openai_error(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                           param="stream_options", code="invalid_value")
    return streaming


def _obfuscation() -> str:
    return "".join(secrets.choice(_OBFUSCATION) for _ in range(secrets.randbelow(12) + 2))


def pieces(text: str) -> list[str]:
    size = max(4, -(-len(text) // MAX_CONTENT_CHUNKS))
    return [text[i:i + size] for i in range(0, len(text), size)]


def frame(data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode("utf-8")


def chat_frames(completion: dict[str, Any], options: dict[str, Any] | None) -> list[bytes]:
    """The SSE frames of a finished `chat.completion` object, choice by choice."""
    options = options or {}
    usage = bool(options.get("include_usage"))
    obfuscate = options.get("include_obfuscation", True) is not False
    head = {k: completion[k] for k in ("id", "created", "model", "service_tier", "system_fingerprint")}

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        data: dict[str, Any] = {**head, "object": "chat.completion.chunk", "choices": choices}
        if usage:
            data["usage"] = None
        data.update(extra)
        if obfuscate:
            data["obfuscation"] = _obfuscation()
        return frame(data)

    def delta(index: int, content: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": content, "logprobs": None, "finish_reason": finish}

    frames = []
    for choice in completion["choices"]:
        index, message = choice["index"], choice["message"]
        frames.append(chunk([delta(index, {"role": "assistant", "content": "", "refusal": None})]))
        if message.get("refusal"):
            frames += [chunk([delta(index, {"refusal": piece})]) for piece in pieces(message["refusal"])]
        else:
            frames += [chunk([delta(index, {"content": piece})]) for piece in pieces(message["content"] or "")]
        frames.append(chunk([delta(index, {}, choice["finish_reason"])]))
    if usage:
        frames.append(chunk([], usage=completion["usage"]))
    frames.append(frame("[DONE]"))
    return frames


def response_frames(response: dict[str, Any], options: dict[str, Any] | None) -> list[bytes]:
    """The typed events of a finished Responses `response` object with one message item."""
    obfuscate = (options or {}).get("include_obfuscation", True) is not False
    item = response["output"][0]
    part = item["content"][0]
    refusal = part["type"] == "refusal"
    text = part["refusal"] if refusal else part["text"]
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    started = {**response, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": started}),
        ("response.in_progress", {"response": started}),
        ("response.output_item.added", {"output_index": 0, "item": {**item, "status": "in_progress", "content": []}}),
        ("response.content_part.added", {**where, "part": {**part, ("refusal" if refusal else "text"): ""}}),
    ]
    for piece in pieces(text):
        if refusal:
            events.append(("response.refusal.delta", {**where, "delta": piece}))
        else:
            delta = {**where, "delta": piece, "logprobs": []}
            if obfuscate:
                delta["obfuscation"] = _obfuscation()
            events.append(("response.output_text.delta", delta))
    if refusal:
        events.append(("response.refusal.done", {**where, "refusal": text}))
    else:
        events.append(("response.output_text.done", {**where, "text": text, "logprobs": []}))
    events += [
        ("response.content_part.done", {**where, "part": part}),
        ("response.output_item.done", {"output_index": 0, "item": item}),
        ("response.completed" if response["status"] == "completed" else "response.incomplete",
         {"response": response}),
    ]
    out = []
    for number, (kind, data) in enumerate(events):
        payload = json.dumps({"type": kind, **data, "sequence_number": number}, ensure_ascii=False)
        out.append(f"event: {kind}\ndata: {payload}\n\n".encode("utf-8"))
    return out
