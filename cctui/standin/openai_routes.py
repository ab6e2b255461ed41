"""OpenAI stand-in: Chat Completions, Responses, image generation, models.

Special prompts (in the text of the request's prompt: the last user message, or on a retry the
last user message before the first assistant one; for images, in the prompt):

- `STANDIN:refuse`    → Chat: `message.refusal` set, `content` null; Responses: a `refusal` item.
- `STANDIN:truncate`  → Chat: `finish_reason: "length"` and JSON cut off half-way;
                        Responses: `status: "incomplete"`, `incomplete_details.reason: max_output_tokens`.
- `STANDIN:invalid`   → well-formed JSON that violates the requested schema.
- `STANDIN:quota`     → 429 `insufficient_quota` (type and code).
- `STANDIN:ratelimit` → 429 `rate_limit_exceeded` with `retry-after` / `retry-after-ms` headers.
- `STANDIN:500`       → 500 `server_error`.
- `STANDIN:moderation` (images) → 400 `moderation_blocked`.

With `stream: true` both answer in server-sent events, as the real API does (see `openai_stream`).

A small `max_completion_tokens` / `max_tokens` / `max_output_tokens` also truncates (as the real
service does). Generated JSON comes from `llm_content` and is always valid against the schema
(except for `STANDIN:invalid`), seeded from the messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from . import llm_content
from .errors import marker, openai_error, openai_sync_markers
from .http_layer import Request, Response
from .media_factory import encode_image, image_prompt, scene_image
from .openai_stream import chat_frames, check_stream_options, response_frames
from .openai_validation import check_image_url, check_json_schema_spec, check_openapi, check_response_format

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "gpt-image-1",
          "gpt-image-1-mini", "gpt-image-1.5", "sora-2", "sora-2-pro")
IMAGE_MODELS = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2")
IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
IMAGE_QUALITIES = ("low", "medium", "high", "auto")
IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}
REFUSAL = "I'm sorry, but I can't help with that request."
DEFAULT_JSON_OBJECT_SCHEMA = {"type": "object", "properties": {"title": {"type": "string"},
                                                               "summary": {"type": "string"}}}


def register(router: "Router", prefix: str) -> None:
    router.add("POST", prefix + "/chat/completions", chat_completions)
    router.add("POST", prefix + "/responses", responses)
    router.add("POST", prefix + "/images/generations", images_generations)
    router.add("GET", prefix + "/models", list_models)
    router.add("GET", prefix + r"/models/(?P<model>[^/]+)", get_model)


def _body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise openai_error(400, "The request body must be a JSON object.", code="invalid_type")
    return body


def _require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not model or not isinstance(model, str):
        raise openai_error(400, "you must provide a model parameter", param="model",
                           code="missing_required_parameter")
    return model


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _usage_chat(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


class _Conversation:
    """What the generator needs from a prompt: all text, the request's own prompt, image fingerprints.

    A retry comes as system, prompt, earlier answer (assistant), feedback (user), ...: the prompt
    is then the last user message before the first assistant one, not the last user message.
    Markers and the answer's domain are read from the prompt, so a retry or a schema-repair
    re-ask gets the same kind of answer as the first request did."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.last_user = ""
        self.images: list[str] = []
        self._before_answer: str | None = None  # the last user text before the first assistant turn
        self._answer_at: int | None = None  # index in `texts` of the first assistant turn

    def add(self, role: str, text: str) -> None:
        if role == "assistant" and self._answer_at is None:
            self._answer_at = len(self.texts)
        self.texts.append(f"[{role}] {text}")
        if role == "user":
            self.last_user = text
            if self._answer_at is None:
                self._before_answer = text

    @property
    def all_text(self) -> str:
        return "\n".join(self.texts)

    @property
    def prompt(self) -> str:
        """The user's request: the last user text before any earlier answer (without one, or when
        no user text comes before it, the last user text)."""
        if self._answer_at is not None and self._before_answer is not None:
            return self._before_answer
        return self.last_user

    @property
    def request_text(self) -> str:
        """All text up to the end of the prompt (everything when there is no earlier answer)."""
        if self._answer_at is not None and self._before_answer is not None:
            return "\n".join(self.texts[:self._answer_at])
        return self.all_text

    def seed(self, extra: Any) -> str:
        return json.dumps([self.texts, self.images, extra], sort_keys=True, default=str)


def _what_it_shows(url: Any) -> str:
    """The stand-in's "vision": a picture it drew itself shows its prompt; any other shows nothing."""
    shown = image_prompt(url) if isinstance(url, str) else None
    return f"[The image shows: {shown}]" if shown else ""


def _chat_messages(messages: list[Any]) -> _Conversation:
    conv = _Conversation()
    if not messages:
        raise openai_error(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
                                "an empty array instead.", param="messages", code="empty_array")
    for i, msg in enumerate(messages):
        role = msg.get("role")
        content = msg.get("content")
        if isinstance(content, str) or content is None:
            conv.add(role, content or "")
            continue
        user_texts = []
        for j, part in enumerate(content):
            kind = part.get("type")
            where = f"messages[{i}].content[{j}]"
            if kind == "image_url":
                if role != "user":
                    raise openai_error(400, f"Invalid 'messages[{i}]'. Image URLs are only allowed for messages "
                                            "with role 'user'.", param=f"messages[{i}].content", code="invalid_value")
                url = (part.get("image_url") or {}).get("url")
                check_image_url(url, f"{where}.image_url.url")
                conv.images.append(hashlib.sha256(str(url).encode()).hexdigest()[:16])
                if shown := _what_it_shows(url):
                    user_texts.append(shown)
            elif kind == "text":
                user_texts.append(part.get("text") or "")
            elif kind == "refusal":
                user_texts.append(part.get("refusal") or "")
        conv.add(role, "\n".join(user_texts))
    return conv


def chat_completions(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    model = _require_model(body)
    check_openapi("CreateChatCompletionRequest", body)
    conv = _chat_messages(body["messages"])
    streaming = check_stream_options(body)
    kind, schema, _strict = check_response_format(body.get("response_format"))
    if kind == "json_object" and "json" not in conv.all_text.lower():
        raise openai_error(400, "'messages' must contain the word 'json' in some form, to use 'response_format' "
                                "of type 'json_object'.", param="messages", code=None)
    openai_sync_markers(conv.prompt, srv.retry_after_seconds)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    choices = []
    completion_tokens = 0
    schema_name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name", "")
    for index in range(int(body.get("n") or 1)):
        content, finish = _answer(kind, schema, schema_name, conv, index, limit)
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
        if marker(conv.prompt, "refuse"):
            message.update(content=None, refusal=REFUSAL)
            finish = "stop"
        completion_tokens += _tokens(message["content"] or message["refusal"])
        choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": finish})
    prompt_tokens = _tokens(conv.all_text) + 85 * len(conv.images) + 4 * len(body["messages"])
    completion = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "choices": choices, "usage": _usage_chat(prompt_tokens, completion_tokens),
        "service_tier": "default", "system_fingerprint": "fp_standin"}
    if streaming:
        return Response.event_stream(200, chat_frames(completion, body.get("stream_options")))
    return Response.json(200, completion)


def _answer(kind: str, schema: dict[str, Any] | None, schema_name: str, conv: _Conversation, index: int,
            limit: Any) -> tuple[str, str]:
    """(content, finish_reason) for one choice, honouring the truncate / invalid markers."""
    seed = conv.seed([schema, index])
    if kind == "text":
        content = llm_content.text_answer(conv.all_text, seed)
    else:
        use = schema if schema is not None else DEFAULT_JSON_OBJECT_SCHEMA
        value = llm_content.generate(use, conv.all_text, seed, schema_name, request_text=conv.request_text)
        if marker(conv.prompt, "invalid"):
            value = llm_content.break_validity(value, use)
        content = json.dumps(value, ensure_ascii=False)
    if marker(conv.prompt, "truncate"):
        return content[: max(1, len(content) // 2)], "length"
    if isinstance(limit, int) and limit > 0 and _tokens(content) > limit:
        return content[: limit * 4], "length"
    return content, "stop"


# --------------------------------------------------------------------------- Responses API


def _responses_input(body: dict[str, Any]) -> _Conversation:
    conv = _Conversation()
    if isinstance(body.get("instructions"), str):
        conv.add("system", body["instructions"])
    items = body.get("input")
    if isinstance(items, str):
        conv.add("user", items)
        return conv
    for i, item in enumerate(items or []):
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        role = item.get("role", "user")
        content = item.get("content")
        if isinstance(content, str):
            conv.add(role, content)
            continue
        texts = []
        for j, part in enumerate(content or []):
            kind = part.get("type")
            if kind == "input_image":
                if part.get("file_id") and not part.get("image_url"):
                    raise openai_error(400, "The stand-in cannot resolve file ids; send image_url as a data: URL.",
                                       param=f"input[{i}].content[{j}].file_id", code="invalid_value")
                check_image_url(part.get("image_url"), f"input[{i}].content[{j}].image_url")
                conv.images.append(hashlib.sha256(str(part.get("image_url")).encode()).hexdigest()[:16])
                if shown := _what_it_shows(part.get("image_url")):
                    texts.append(shown)
            elif kind in ("input_text", "output_text"):
                texts.append(part.get("text") or "")
        conv.add(role, "\n".join(texts))
    return conv


def responses(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    model = _require_model(body)
    check_openapi("CreateResponse", body)
    streaming = check_stream_options(body)
    conv = _responses_input(body)
    fmt = ((body.get("text") or {}).get("format")) or {"type": "text"}
    kind, schema = fmt.get("type", "text"), None
    if kind == "json_schema":
        kind, schema, _strict = check_json_schema_spec(fmt, "text.format")
    openai_sync_markers(conv.prompt, srv.retry_after_seconds)
    limit = body.get("max_output_tokens")
    content, finish = _answer(kind, schema, fmt.get("name", ""), conv, 0, limit)
    item_id = f"msg_{uuid.uuid4().hex}"
    status = "completed"
    incomplete = None
    if marker(conv.prompt, "refuse"):
        parts = [{"type": "refusal", "refusal": REFUSAL}]
    else:
        parts = [{"type": "output_text", "text": content, "annotations": [], "logprobs": []}]
        if finish == "length":
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
    input_tokens = _tokens(conv.all_text) + 85 * len(conv.images)
    output_tokens = _tokens(content)
    response = {
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()), "status": status,
        "background": False, "error": None, "incomplete_details": incomplete,
        "instructions": body.get("instructions"), "max_output_tokens": limit, "model": model,
        "output": [{"type": "message", "id": item_id, "status": status, "role": "assistant", "content": parts}],
        "parallel_tool_calls": True, "previous_response_id": None, "reasoning": {"effort": None, "summary": None},
        "service_tier": "default", "store": bool(body.get("store", True)), "temperature": 1.0,
        "text": {"format": fmt}, "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
        "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": input_tokens + output_tokens},
        "user": None, "metadata": body.get("metadata") or {}}
    if streaming:
        return Response.event_stream(200, response_frames(response, body.get("stream_options")))
    return Response.json(200, response)


# --------------------------------------------------------------------------- images


def images_generations(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    model = body.get("model")
    if not model:
        raise openai_error(400, "Missing required parameter: 'model'. The stand-in requires it (the real default "
                                "is dall-e-2).", param="model", code="missing_required_parameter")
    if model not in IMAGE_MODELS:
        raise openai_error(400, f"Invalid value: '{model}'. Supported values are: "
                                + ", ".join(f"'{m}'" for m in IMAGE_MODELS) + ".", param="model",
                           code="invalid_value")
    if "response_format" in body:
        raise openai_error(400, "Unknown parameter: 'response_format'.", param="response_format",
                           code="unknown_parameter")
    check_openapi("CreateImageRequest", body)
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise openai_error(400, "Missing required parameter: 'prompt'.", param="prompt",
                           code="missing_required_parameter")
    size = body.get("size") or "auto"
    if size not in IMAGE_SIZES:
        raise openai_error(400, f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
                                "'1536x1024', and 'auto'.", param="size", code="invalid_value")
    n = body.get("n") if body.get("n") is not None else 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        raise openai_error(400, f"Invalid 'n': integer must be between 1 and 10, got {n!r}.", param="n",
                           code="invalid_value")
    quality = body.get("quality") or "auto"
    if quality not in IMAGE_QUALITIES:
        raise openai_error(400, f"Invalid value: '{quality}'. Supported values are: 'low', 'medium', 'high', and "
                                "'auto'.", param="quality", code="invalid_value")
    output_format = body.get("output_format") or "png"
    if marker(prompt, "moderation"):
        raise openai_error(400, "Your request was rejected by the safety system. If you believe this is an error, "
                                "contact us at help.openai.com and include the request ID.",
                           type_="image_generation_user_error", code="moderation_blocked")
    openai_sync_markers(prompt, srv.retry_after_seconds)
    resolved = "1024x1536" if size == "auto" else size
    width, height = (int(v) for v in resolved.split("x"))
    data = []
    for index in range(n):
        img = scene_image(prompt, (width, height), index)
        encoded = encode_image(img, output_format)
        srv.record_served(encoded, f"image/{output_format}", req.path)
        data.append({"b64_json": base64.b64encode(encoded).decode("ascii")})
    real_quality = "medium" if quality == "auto" else quality
    text_tokens = _tokens(prompt)
    out_tokens = IMAGE_TOKENS[real_quality] * n
    return Response.json(200, {
        "created": int(time.time()), "data": data, "background": "opaque", "output_format": output_format,
        "size": resolved, "quality": real_quality,
        "usage": {"input_tokens": text_tokens, "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
                  "output_tokens": out_tokens, "total_tokens": text_tokens + out_tokens}})


# --------------------------------------------------------------------------- models


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1727740800, "owned_by": "system"}


def list_models(srv: "StandIn", req: Request) -> Response:
    return Response.json(200, {"object": "list", "data": [_model(m) for m in MODELS]})


def get_model(srv: "StandIn", req: Request, model: str) -> Response:
    if model not in MODELS:
        raise openai_error(404, f"The model `{model}` does not exist or you do not have access to it.",
                           code="model_not_found")
    return Response.json(200, _model(model))
