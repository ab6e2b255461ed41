"""What the ElevenLabs clients (music, speech) share: the HTTP client with the key, and the
error bodies read as ProviderErrors with a plain-language message."""

from __future__ import annotations

import httpx

from ..costs.prices import Prices
from ..settings import Settings
from .base import ProviderError
from .http_errors import (not_configured, redact, response_json, retry_after_seconds, short,
                          status_kind)
from .tls import ssl_context

PROVIDER = "elevenlabs"


def require_key(settings: Settings) -> None:
    key = settings.elevenlabs_api_key
    if key is None or not key.get_secret_value():
        raise not_configured("ElevenLabs", "ELEVENLABS_API_KEY", PROVIDER)


def api_client(settings: Settings, timeout: httpx.Timeout) -> httpx.AsyncClient:
    require_key(settings)
    return httpx.AsyncClient(
        base_url=settings.elevenlabs_base_url.rstrip("/") + "/",
        headers={"xi-api-key": settings.elevenlabs_api_key.get_secret_value()},
        timeout=timeout, verify=ssl_context())


class ElevenLabsClient:
    """The parts every ElevenLabs client has: settings, prices, the keyed HTTP client."""

    name = PROVIDER
    timeout = httpx.Timeout(60.0, connect=10.0)
    action = ""

    def __init__(self, settings: Settings, *, http: httpx.AsyncClient | None = None,
                 prices: Prices | None = None):
        if http is None:
            require_key(settings)
        self.settings = settings
        self.base_url = settings.elevenlabs_base_url.rstrip("/")
        self.prices = prices or Prices.load(settings.data_dir)
        self._secrets = settings.secret_values()
        self.http = http or api_client(settings, self.timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    def supports(self, action: str) -> bool:
        return action == self.action


def _detail(response: httpx.Response) -> tuple[str, str]:
    """(status code word, message) of {"detail": {"status", "message"}}, {"detail": "..."} or,
    for a 422, {"detail": [{"loc", "msg"}, ...]}."""
    body = response_json(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    code, message = "", ""
    if isinstance(detail, dict):
        code = str(detail.get("status") or detail.get("code") or "")
        message = str(detail.get("message") or "")
        data = detail.get("data")
        suggestion = data.get("prompt_suggestion") if isinstance(data, dict) else None
        if suggestion:
            message += f" Suggested prompt: {suggestion}"
    elif isinstance(detail, list) and detail:
        first = detail[0] if isinstance(detail[0], dict) else {}
        where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
        message = f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    elif isinstance(detail, str):
        message = detail
    return code, short(message or response.text or response.reason_phrase or "no details", 400)


def api_error(response: httpx.Response, *, what: str, api: str, secrets: list[str]) -> ProviderError:
    """The ProviderError for an ElevenLabs error answer; `what` names the call ("ElevenLabs
    music"), `api` the part of the API a 403 key may lack ("the music API")."""
    code, message = _detail(response)
    status = response.status_code
    retry_after = None
    if code in ("quota_exceeded", "insufficient_credits", "payment_required") or status == 402:
        # ElevenLabs answers an exhausted quota with 401 and status quota_exceeded.
        kind, text = "quota", f"{what}: the account is out of credits ({message})."
    elif status == 401:
        kind, text = "auth", (f"{what}: the API key was refused (401: {message}). Check "
                              f"ELEVENLABS_API_KEY.")
    elif code in ("bad_prompt", "bad_composition_plan"):
        # The music API refuses prompts naming artists or songs, with a suggested rewrite.
        kind, text = "moderation", f"{what}: the prompt was refused ({message})."
    elif code in ("voice_not_found", "voice_does_not_exist"):
        kind, text = "not_found", f"{what}: the voice is not in this account ({status}: {message})."
    elif status == 429:
        retry_after = retry_after_seconds(response.headers)
        kind, text = "rate_limit", f"{what}: too many requests at once (429: {message})."
    elif status == 403:
        kind, text = "auth", (f"{what}: access denied (403: {message}). Check that the key may "
                              f"use {api}.")
    elif status >= 500:
        kind, text = "server", f"{what}: ElevenLabs had a server error ({status}: {message})."
    else:
        kind = status_kind(status)
        text = f"{what}: the request was refused ({status}: {message})."
    request_id = response.headers.get("request-id") or response.headers.get("x-request-id")
    return ProviderError(redact(text, secrets), kind, provider=PROVIDER, status=status,
                         request_id=request_id, retry_after=retry_after)
