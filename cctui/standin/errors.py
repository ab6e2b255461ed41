"""Error answers in each provider's own shape, and the `STANDIN:` markers that trigger them.

OpenAI: `{"error": {"message", "type", "param", "code"}}`.
Leonardo (Hasura): `{"error": "<message>", "path": "$", "code": "..."}`.
ElevenLabs: `{"detail": {"status", "message"}}`, or FastAPI's 422 list
`{"detail": [{"type", "loc", "msg", "input"}]}` for a body that fails validation.
"""

from __future__ import annotations

from typing import Any

from .http_layer import Response


class RouteError(Exception):
    """Raised by a route to answer with `response` at once."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def marker(text: str | None, name: str) -> bool:
    """True when `text` holds `STANDIN:<name>` (case-sensitive marker, e.g. `STANDIN:fail`)."""
    return bool(text) and f"STANDIN:{name}" in str(text)


# --------------------------------------------------------------------------- OpenAI


def openai_body(message: str, type_: str = "invalid_request_error", param: str | None = None,
                code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_error(status: int, message: str, type_: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> RouteError:
    return RouteError(Response.json(status, openai_body(message, type_, param, code), headers))


def openai_default_body(status: int) -> dict[str, Any]:
    if status == 401:
        return openai_body("Incorrect API key provided.", code="invalid_api_key")
    if status == 403:
        return openai_body("You are not allowed to sample from this model", code=None)
    if status == 404:
        return openai_body("The model `sora-2` does not exist or you do not have access to it.",
                           code="model_not_found")
    if status == 429:
        return openai_body("Rate limit reached for requests. Please try again in 1s.",
                           type_="requests", code="rate_limit_exceeded")
    if status >= 500:
        return openai_body("The server had an error while processing your request. Sorry about that!",
                           type_="server_error")
    return openai_body(f"Stand-in injected error {status}.")


def openai_sync_markers(text: str | None, retry_after: float) -> None:
    """The markers every OpenAI POST honours: quota, rate limit, server error."""
    if marker(text, "quota"):
        raise openai_error(429, "You exceeded your current quota, please check your plan and billing "
                                "details.", type_="insufficient_quota", code="insufficient_quota")
    if marker(text, "ratelimit"):
        raise openai_error(429, "Rate limit reached for requests per min. Please try again later.",
                           type_="requests", code="rate_limit_exceeded",
                           headers=retry_headers(retry_after))
    if marker(text, "500"):
        raise openai_error(500, "The server had an error while processing your request. Sorry about that!",
                           type_="server_error")


def retry_headers(seconds: float) -> dict[str, str]:
    return {"retry-after": f"{seconds:g}", "retry-after-ms": str(int(round(seconds * 1000)))}


# --------------------------------------------------------------------------- Leonardo


def leonardo_body(message: str, code: str = "unexpected", path: str = "$") -> dict[str, Any]:
    return {"error": message, "path": path, "code": code}


def leonardo_error(status: int, message: str, code: str = "unexpected", path: str = "$",
                   headers: dict[str, str] | None = None) -> RouteError:
    return RouteError(Response.json(status, leonardo_body(message, code, path), headers))


def leonardo_invalid(message: str, path: str = "$") -> RouteError:
    return leonardo_error(400, message, "validation-failed", path)


def leonardo_default_body(status: int) -> dict[str, Any]:
    if status in (401, 403):
        return leonardo_body("authentication hook unauthorized this request", "access-denied")
    if status == 429:
        return leonardo_body("Too many requests, please slow down.", "rate-limited")
    if status == 400:
        return leonardo_body("Stand-in injected bad request.", "bad-request")
    return leonardo_body("Unexpected error occurred.", "unexpected")


def leonardo_sync_markers(text: str | None, retry_after: float) -> None:
    if marker(text, "moderation"):
        raise leonardo_error(403, "content moderation filter: the prompt was flagged and blocked.",
                             "unexpected")
    if marker(text, "ratelimit"):
        raise leonardo_error(429, "Too many requests, please slow down.", "rate-limited",
                             headers=retry_headers(retry_after))
    if marker(text, "500"):
        raise leonardo_error(500, "Unexpected error occurred.", "unexpected")


# --------------------------------------------------------------------------- ElevenLabs


def eleven_error(status: int, status_code: str, message: str,
                 headers: dict[str, str] | None = None) -> RouteError:
    return RouteError(Response.json(status, {"detail": {"status": status_code, "message": message}},
                                    headers))


def eleven_validation(loc: list[str | int], msg: str, value: Any, type_: str) -> RouteError:
    detail = [{"type": type_, "loc": loc, "msg": msg, "input": value}]
    return RouteError(Response.json(422, {"detail": detail}))


def eleven_default_body(status: int) -> dict[str, Any]:
    if status == 401:
        return {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
    if status == 429:
        return {"detail": {"status": "too_many_concurrent_requests",
                           "message": "Too many concurrent requests for your subscription."}}
    if status >= 500:
        return {"detail": {"status": "internal_error", "message": "An internal error occurred."}}
    return {"detail": {"status": "error", "message": f"Stand-in injected error {status}."}}


def default_body(provider: str | None, status: int) -> dict[str, Any]:
    if provider == "openai":
        return openai_default_body(status)
    if provider == "leonardo":
        return leonardo_default_body(status)
    if provider == "elevenlabs":
        return eleven_default_body(status)
    return {"error": f"Stand-in injected error {status}."}
