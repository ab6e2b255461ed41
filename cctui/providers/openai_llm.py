"""OpenAI (or any OpenAI-compatible server) as the workflow's LLM, through Chat Completions with
strict structured output, images given as data URLs. Answers are streamed (with the usage asked
for in the last chunk), so a listener can show them as they arrive; the result is the whole."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import openai
from PIL import Image, UnidentifiedImageError

from ..settings import Settings
from .base import ImagePart, LLMRequest, LLMResult, LLMUsage, ProviderError, TextListener, TextPart
from .http_errors import not_configured, redact, short
from .downloads import TRANSFER_ERRORS
from .openai_errors import SDK_ERRORS, from_openai_error
from .tls import openai_http_client

DEFAULT_TIMEOUT = 120.0  # seconds per attempt; a vision answer with a long schema takes a while
DEFAULT_MAX_RETRIES = 2  # the SDK's own retries (connection errors, timeouts, 408/409/429/5xx)
UNREADABLE_RETRIES = 2  # ours, for a 2xx answer whose body arrived cut off or garbled

# The formats the vision models accept as they are; anything else Pillow reads is sent as PNG.
_SENDABLE = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


def schema_name(name: str) -> str:
    """OpenAI's rule for `json_schema.name`: [a-zA-Z0-9_-], at most 64 characters."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", name or "").strip("_")
    return (cleaned or "output")[:64]


def image_data_url(path: Path) -> str:
    """A `data:<mime>;base64,...` URL of a local image; ProviderError(bad_request) if unusable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderError(f"The image {path} cannot be read: {exc.strerror or exc}.",
                            "bad_request", provider="openai") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            animated = getattr(img, "is_animated", False)
            if fmt not in _SENDABLE or (fmt == "GIF" and animated):
                out = io.BytesIO()
                img.convert("RGBA" if "A" in img.getbands() else "RGB").save(out, "PNG")
                data, mime = out.getvalue(), "image/png"
            else:
                mime = _SENDABLE[fmt]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ProviderError(f"The image {path} is not a picture that can be sent to the model "
                            f"({short(str(exc), 120)}).", "bad_request", provider="openai") from None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _first_schema_error(data: Any, schema: dict[str, Any]) -> str | None:
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(data),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
    return f"at {where}: {short(first.message, 200)}"


class OpenAILLM:
    """`LLMProvider` over `AsyncOpenAI.chat.completions`.

    settings: openai_api_key (required), openai_base_url, llm_model.
    """

    name = "openai"

    def __init__(self, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, client: openai.AsyncOpenAI | None = None):
        if client is None and (settings.openai_api_key is None
                               or not settings.openai_api_key.get_secret_value()):
            raise not_configured("OpenAI", "OPENAI_API_KEY", "openai")
        self.settings = settings
        self.base_url = settings.openai_base_url
        self.model = settings.llm_model
        self._secrets = settings.secret_values()
        self.client = client or openai.AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=openai_http_client(),
        )

    async def aclose(self) -> None:
        await self.client.close()

    def build_messages(self, request: LLMRequest) -> list[dict[str, Any]]:
        """System messages, then the prompt (text and images), then the earlier turns in order,
        so on a retry the creator's feedback (or a schema-repair request) is the last message
        the model reads, after its own earlier answer to the prompt."""
        messages: list[dict[str, Any]] = [{"role": "system", "content": text}
                                          for text in request.system if text]
        content: list[dict[str, Any]] = []
        for part in request.user:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                content.append({"type": "image_url",
                                "image_url": {"url": image_data_url(part.path),
                                              "detail": part.detail or "auto"}})
            else:
                raise ProviderError(f"Unknown message part {type(part).__name__}.", "bad_request",
                                    provider=self.name)
        messages.append({"role": "user", "content": content})
        for turn in request.history:
            messages.append({"role": turn["role"], "content": turn["content"]})
        return messages

    async def complete(self, request: LLMRequest) -> LLMResult:
        """The answer, streamed: `request.on_text` hears its text so far as it arrives (a retry of
        an unreadable answer starts again from nothing); the result is the whole answer, checked."""
        model = request.model or self.model
        name = schema_name(request.schema_name)
        what = f"OpenAI answer for '{name}'"
        messages = self.build_messages(request)
        response_format = {"type": "json_schema",
                           "json_schema": {"name": name, "schema": request.output_schema, "strict": True}}
        for attempt in range(UNREADABLE_RETRIES + 1):
            try:
                completion = await self._streamed(model, messages, response_format, request.on_text)
                break
            except SDK_ERRORS as exc:
                # An answer cut off or garbled in transit: the SDK retries a 5xx or a reset
                # (either may have been carried out and billed too) but not this; asked again the
                # same way, a few cents of tokens at most, where stopping the run costs the creator.
                unreadable = isinstance(exc, json.JSONDecodeError) or (
                    isinstance(exc, TRANSFER_ERRORS) and not isinstance(exc, openai.OpenAIError))
                if unreadable and attempt < UNREADABLE_RETRIES:
                    continue
                raise from_openai_error(exc, what=what, base_url=self.base_url, secrets=self._secrets,
                                        model=model) from None
        request_id = completion.request_id
        ref = f" (request id {request_id})" if request_id else ""

        def fail(message: str, kind) -> ProviderError:
            return ProviderError(redact(message + ref, self._secrets), kind, provider=self.name,
                                 request_id=request_id)

        if completion.finish_reason is None and not completion.content and not completion.refusal:
            raise fail(f"{what}: the server returned no answer.", "invalid_output")
        if completion.refusal:
            raise fail(f"{what}: the model declined to answer: {short(completion.refusal, 300)}", "refusal")
        if completion.finish_reason == "length":
            raise fail(f"{what}: the answer was cut off at the output length limit; a shorter "
                       f"answer or a model with a larger limit is needed.", "truncated")
        if completion.finish_reason == "content_filter":
            raise fail(f"{what}: the answer was stopped by the content filter.", "moderation")
        if completion.finish_reason is None:
            # The stream ended (with [DONE]) before the model said it had finished.
            raise fail(f"{what}: the answer stopped before it was finished.", "server")
        raw = completion.content
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise fail(f"{what}: the answer is not valid JSON ({exc.msg} at character {exc.pos}).",
                       "invalid_output") from None
        if not isinstance(data, dict):
            raise fail(f"{what}: the answer is JSON but not an object.", "invalid_output")
        try:
            problem = _first_schema_error(data, request.output_schema)
        except jsonschema.SchemaError as exc:
            raise fail(f"{what}: the output schema itself is not valid JSON Schema "
                       f"({short(exc.message, 200)}).", "bad_request") from None
        if problem:
            raise fail(f"{what}: the answer does not match the schema {problem}.", "invalid_output")
        return LLMResult(data=data, raw_text=raw, model=completion.model or model, usage=completion.usage)

    async def _streamed(self, model: str, messages: list[dict[str, Any]], response_format: dict[str, Any],
                        on_text: TextListener | None) -> StreamedAnswer:
        """One streamed request, read to its end: the first choice's text and how it ended.

        The SDK sends it (its retries, its errors for a refused request); its events are read
        here as JSON: the SDK would build a typed object for each of the hundreds of chunks of
        an answer, most of the time its reading takes."""
        answer = StreamedAnswer(model=model)
        async with self.client.chat.completions.with_streaming_response.create(
                model=model, messages=messages, response_format=response_format,
                stream=True, stream_options={"include_usage": True}) as response:
            answer.request_id = response.headers.get("x-request-id")
            async for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, `event:`, `id:` and `:` comments
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)  # a garbled event is an unreadable answer, asked again
                if isinstance(chunk, dict) and chunk.get("error"):
                    # An error reported inside the stream, as the SDK's own reader raises it.
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else None
                    raise openai.APIError(str(message or "An error occurred during streaming"),
                                          response.http_request, body=error)
                answer.add(chunk, on_text)
        return answer


@dataclass
class StreamedAnswer:
    """What a streamed Chat Completion added up to."""

    model: str
    content: str = ""
    refusal: str = ""
    finish_reason: str | None = None
    usage: LLMUsage = field(default_factory=LLMUsage)
    request_id: str | None = None

    def add(self, chunk: dict[str, Any], on_text: TextListener | None) -> None:
        """One `chat.completion.chunk` event, as JSON."""
        self.model = chunk.get("model") or self.model
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = LLMUsage(input_tokens=usage.get("prompt_tokens") or 0,
                                  output_tokens=usage.get("completion_tokens") or 0)
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
            delta = choice.get("delta") or {}
            if delta.get("refusal"):
                self.refusal += delta["refusal"]
            if delta.get("content"):
                self.content += delta["content"]
                if on_text is not None:
                    on_text(self.content)
