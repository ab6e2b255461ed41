"""The openai SDK's exceptions, as ProviderErrors with a plain-language message."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from .base import ProviderError
from .downloads import TRANSFER_ERRORS
from .http_errors import redact, retry_after_seconds, short, wait_hint


# What a call through the openai SDK can raise about the answer: its own errors, the
# JSONDecodeError it lets through when a 2xx body is not JSON (cut off, or garbled on the way),
# and the transport errors of a streamed answer whose body breaks off while it is read.
SDK_ERRORS: tuple[type[BaseException], ...] = (openai.OpenAIError, json.JSONDecodeError, *TRANSFER_ERRORS)


def api_message(exc: openai.APIError) -> str:
    """The `error.message` of an OpenAI error body, else the SDK's own text."""
    body: Any = exc.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str) and message.strip():
            return short(message)
    return short(exc.message or type(exc).__name__)


def api_code(exc: openai.APIError) -> str | None:
    if exc.code:
        return exc.code
    body: Any = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def retries_taken(exc: Exception) -> int | None:
    """How many times the SDK had already retried the request that failed (it says so in the
    `x-stainless-retry-count` header it sends), or None when that cannot be told."""
    request = getattr(exc, "request", None)
    try:
        return int(request.headers["x-stainless-retry-count"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def from_openai_error(exc: Exception, *, what: str, base_url: str, secrets: list[str],
                      provider: str = "openai", key_hint: str = "OPENAI_API_KEY",
                      model: str | None = None, paid: bool = False) -> ProviderError:
    """Map an openai SDK exception to a ProviderError. `what` says what was being done
    ("OpenAI chat completion"), `key_hint` which setting holds the key, `paid` that the request
    was a paid create sent once without retries (the message must not claim a retry)."""

    def err(message: str, kind, **kw) -> ProviderError:
        return ProviderError(redact(message, secrets), kind, provider=provider, **kw)

    # How the sentence about the failure ends: never "even after retrying" for a request that
    # was sent once (a paid create is never retried: a second one may be charged again).
    if paid:
        tail = ". It was sent once and not retried, because it is paid."
    elif retries_taken(exc):
        tail = ", even after retrying."
    else:
        tail = "."

    if isinstance(exc, json.JSONDecodeError):
        # A 2xx answer that cannot be read: the request may well have been carried out (and
        # charged), so this is no refusal; like a timeout, the outcome is unknown.
        return err(f"{what}: {base_url} answered with a body that is not valid JSON (cut off or garbled); "
                   f"the request may have been carried out anyway.", "server")
    if isinstance(exc, openai.APITimeoutError):
        maybe_done = " It may have been carried out (and charged) anyway." if paid else ""
        return err(f"{what}: {base_url} did not answer in time{tail}{maybe_done}", "server")
    if isinstance(exc, TRANSFER_ERRORS) and not isinstance(exc, openai.OpenAIError):
        return err(f"{what}: the connection to {base_url} broke off while the answer was read "
                   f"({type(exc).__name__}).", "server")
    if isinstance(exc, openai.APIConnectionError):
        # The SDK says "Connection error." both when nothing could be sent and when the
        # connection broke after the request went out; only the first is "could not connect".
        cause = exc.__cause__
        if cause is None or isinstance(cause, httpx.ConnectError):
            return err(f"{what}: could not connect to {base_url} ({short(str(exc), 120)}).", "server")
        return err(f"{what}: the connection to {base_url} broke off before an answer came "
                   f"({type(cause).__name__}).", "server")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        request_id = exc.request_id
        ref = f" (request id {request_id})" if request_id else ""
        message = api_message(exc)
        code = api_code(exc)
        common = {"status": status, "request_id": request_id}
        if status == 401:
            return err(f"{what}: the API key was refused (401: {message}). Check {key_hint}.{ref}",
                       "auth", **common)
        if status == 403:
            return err(f"{what}: access denied (403: {message}). Check {key_hint} and that the "
                       f"account may use this model.{ref}", "auth", **common)
        if status == 404:
            subject = f"the model '{model}'" if model else "this endpoint"
            return err(f"{what}: {subject} is not served at {base_url} (404: {message}).{ref}",
                       "not_found", **common)
        if status == 429:
            if code == "insufficient_quota":
                return err(f"{what}: the account is out of credits or over its quota ({message}). "
                           f"Add credits or raise the limit, then try again.{ref}", "quota", **common)
            wait = retry_after_seconds(exc.response.headers)
            hint = wait_hint(wait, message)
            return err(f"{what}: rate limited (429: {message}).{hint}{ref}", "rate_limit",
                       retry_after=wait, **common)
        if code == "moderation_blocked":
            return err(f"{what}: blocked by OpenAI's content filter ({message}). Change the prompt "
                       f"or the image.{ref}", "moderation", **common)
        if status >= 500:
            return err(f"{what}: {base_url} had a server error ({status}: {message}){tail}{ref}",
                       "server", **common)
        if code == "invalid_json_schema":
            return err(f"{what}: the output schema was refused ({message}).{ref}", "bad_request",
                       **common)
        return err(f"{what}: the request was refused ({status}: {message}).{ref}", "bad_request",
                   **common)
    if isinstance(exc, openai.APIResponseValidationError):
        return err(f"{what}: {base_url} answered with something that is not an OpenAI response.",
                   "invalid_output")
    return err(f"{what}: {type(exc).__name__}: {short(str(exc), 200)}", "server")
