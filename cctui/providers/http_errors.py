"""Turning HTTP failures into ProviderErrors, shared by the httpx-based clients.

Everything a provider says back may end up on screen or in a job row, so every message built
here goes through `redact()` first: a key must never travel into an error text.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from typing import Any, Mapping

import httpx

from .base import ErrorKind, ProviderError

# The status codes whose meaning is the same at every provider; callers refine 400/403/429.
_STATUS_KINDS: dict[int, ErrorKind] = {
    400: "bad_request",
    401: "auth",
    402: "quota",
    403: "auth",
    404: "not_found",
    408: "server",
    409: "bad_request",
    413: "bad_request",
    415: "bad_request",
    422: "bad_request",
    429: "rate_limit",
}


def redact(text: str, secrets: list[str]) -> str:
    """Replace every configured key in `text` with ***, longest first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def status_kind(status: int) -> ErrorKind:
    if status >= 500:
        return "server"
    return _STATUS_KINDS.get(status, "bad_request")


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


# "try again in 1s", "in 20ms", "after 6m0s", "in 2 minutes": the provider already says when.
_NAMES_A_TIME = re.compile(r"\b(?:in|after)\s+\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|"
                           r"minutes?|h|hrs?|hours?)(?![a-z])", re.IGNORECASE)


def wait_hint(wait: float | None, provider_message: str = "") -> str:
    """Our " Try again in N s." for a rate-limited answer, N rounded up (never "in 0 s"); nothing
    when the provider's own message already names a time, or the wait is under a second."""
    if _NAMES_A_TIME.search(provider_message or ""):
        return ""
    if wait is None:
        return " Try again in a moment."
    if wait < 1:
        return ""
    return f" Try again in {math.ceil(wait)} s."


def response_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def transport_error(exc: Exception, *, provider: str, what: str, where: str,
                    secrets: list[str]) -> ProviderError:
    """A timeout or a connection failure: nothing came back, trying again later may help."""
    if isinstance(exc, httpx.TimeoutException):
        message = f"{what}: {where} did not answer in time ({type(exc).__name__})."
    else:
        message = f"{what}: could not reach {where} ({type(exc).__name__}: {short(str(exc), 160)})."
    return ProviderError(redact(message, secrets), "server", provider=provider)


def not_configured(display_name: str, env_var: str, provider: str) -> ProviderError:
    return ProviderError(
        f"{display_name} is not configured: set {env_var} in the environment or the config file.",
        "auth", provider=provider)
