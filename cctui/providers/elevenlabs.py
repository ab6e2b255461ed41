"""ElevenLabs music (`POST /v1/music`) as a media provider for txt2music.

The API answers the POST with the audio bytes, so `submit()` does the whole job: the answer is
streamed into the media folder (whole file or none). It is not retried on a broken transfer:
sending the POST again would pay for a second song.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import httpx

from ..costs.prices import Prices
from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import EXTENSION_MIMES, Stream, save_download
from .http_errors import (not_configured, redact, response_json, retry_after_seconds, short,
                          status_kind)
from .tls import ssl_context

MODEL_ID = "music_v1"
MIN_MS, MAX_MS = 3_000, 600_000
DEFAULT_MS = 30_000  # a short pet video's worth of music
TIMEOUT = httpx.Timeout(600.0, connect=10.0)  # composing minutes of music takes minutes


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def music_length_ms(params: dict[str, Any]) -> int:
    """`music_length_ms` (or `duration_ms`), else `duration` / `length_seconds` in seconds."""
    for name, factor in (("music_length_ms", 1), ("duration_ms", 1), ("duration", 1000),
                         ("length_seconds", 1000)):
        value = params.get(name)
        if value in (None, ""):
            continue
        try:
            return int(round(float(value) * factor))
        except (TypeError, ValueError):
            raise ProviderError(f"The music length must be a number, not {value!r}.",
                                "bad_request", provider="elevenlabs") from None
    return DEFAULT_MS


class ElevenLabsMusic:
    """`MediaProvider` for ("elevenlabs", "txt2music").

    settings: elevenlabs_api_key (required), elevenlabs_base_url.
    params: prompt, music_length_ms (3000-600000; or duration in seconds), force_instrumental.
    """

    name = "elevenlabs"

    def __init__(self, settings: Settings, *, http: httpx.AsyncClient | None = None,
                 prices: Prices | None = None):
        key = settings.elevenlabs_api_key
        if http is None and (key is None or not key.get_secret_value()):
            raise not_configured("ElevenLabs", "ELEVENLABS_API_KEY", "elevenlabs")
        self.settings = settings
        self.base_url = settings.elevenlabs_base_url.rstrip("/")
        self.prices = prices or Prices.load(settings.data_dir)
        self._secrets = settings.secret_values()
        self.http = http or httpx.AsyncClient(
            base_url=self.base_url + "/", headers={"xi-api-key": key.get_secret_value()},
            timeout=TIMEOUT, verify=ssl_context())

    async def aclose(self) -> None:
        await self.http.aclose()

    def supports(self, action: str) -> bool:
        return action == "txt2music"

    def estimate(self, request: MediaRequest) -> Cost | None:
        """The price list's price for this much music (the API answer carries no price)."""
        try:
            seconds = music_length_ms(request.params) / 1000
        except ProviderError:
            return None
        return self.prices.music("elevenlabs", MODEL_ID, seconds)

    def check(self, request: MediaRequest) -> None:
        if request.action != "txt2music":
            raise ProviderError(f"ElevenLabs cannot do {request.action} here.", "unsupported",
                                provider=self.name)
        if not str(request.params.get("prompt") or "").strip():
            raise ProviderError("The music prompt is empty.", "bad_request", provider=self.name)
        length = music_length_ms(request.params)
        if not MIN_MS <= length <= MAX_MS:
            raise ProviderError(f"ElevenLabs music is {MIN_MS // 1000} s to {MAX_MS // 60000} min "
                                f"long ({MIN_MS}-{MAX_MS} ms), not {length} ms.", "bad_request",
                                provider=self.name)
        if not request.media_dir or not request.stem:
            raise ProviderError("The job has no media folder or file name stem.", "bad_request",
                                provider=self.name)

    def _error(self, response: httpx.Response) -> ProviderError:
        """ElevenLabs errors: {"detail": {"status", "message"}} or {"detail": "..."} or, for a
        422, {"detail": [{"loc", "msg"}, ...]}."""
        body = response_json(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        code, message = "", ""
        if isinstance(detail, dict):
            code = str(detail.get("status") or detail.get("code") or "")
            message = str(detail.get("message") or "")
            suggestion = (detail.get("data") or {}).get("prompt_suggestion") \
                if isinstance(detail.get("data"), dict) else None
            if suggestion:
                message += f" Suggested prompt: {suggestion}"
        elif isinstance(detail, list) and detail:
            first = detail[0] if isinstance(detail[0], dict) else {}
            where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
            message = f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
        elif isinstance(detail, str):
            message = detail
        message = short(message or response.text or response.reason_phrase or "no details", 400)
        status = response.status_code
        what = "ElevenLabs music"
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
        elif status == 429:
            retry_after = retry_after_seconds(response.headers)
            kind, text = "rate_limit", f"{what}: too many requests at once (429: {message})."
        elif status == 403:
            kind, text = "auth", (f"{what}: access denied (403: {message}). Check that the key may "
                                  f"use the music API.")
        elif status >= 500:
            kind, text = "server", f"{what}: ElevenLabs had a server error ({status}: {message})."
        else:
            kind = status_kind(status)
            text = f"{what}: the request was refused ({status}: {message})."
        request_id = response.headers.get("request-id") or response.headers.get("x-request-id")
        return ProviderError(redact(text, self._secrets), kind, provider=self.name, status=status,
                             request_id=request_id, retry_after=retry_after)

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        params = request.params
        body = {
            "prompt": str(params["prompt"]),
            "music_length_ms": music_length_ms(params),
            "force_instrumental": _truthy(params.get("force_instrumental", False)),
            "model_id": MODEL_ID,
        }
        request_ids: list[str] = []

        @contextlib.asynccontextmanager
        async def open_() -> AsyncIterator[Stream]:
            async with self.http.stream("POST", "v1/music", json=body,
                                        headers={"accept-encoding": "identity"}) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._error(response)
                if response.headers.get("request-id"):
                    request_ids.append(response.headers["request-id"])
                yield Stream(response.status_code, response.headers, response.aiter_bytes())

        saved = await save_download(open_, media_dir=request.media_dir, stem=request.stem,
                                    default_ext=".mp3", provider=self.name,
                                    what="The ElevenLabs song", attempts=1, secrets=self._secrets)
        metadata: dict[str, Any] = {"model_id": MODEL_ID, "music_length_ms": body["music_length_ms"],
                                    "force_instrumental": body["force_instrumental"]}
        if request_ids:
            metadata["request_id"] = request_ids[0]
        return Submitted(provider_job_id=f"elevenlabs-music-{uuid.uuid4()}",
                         files=[MediaFile("audio", str(saved.path), mime=saved.mime,
                                          metadata=metadata)])

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        """The song `submit()` wrote, found again on disk."""
        directory = Path(request.media_dir)
        found = [p for p in sorted(directory.glob(f"{request.stem}.*"))
                 if EXTENSION_MIMES.get(p.suffix, "").startswith("audio/")]
        if not found:
            raise ProviderError(f"The song of job {provider_job_id} is not in {directory}; make "
                                f"it again.", "failed", provider=self.name)
        return [MediaFile("audio", str(found[0]), mime=EXTENSION_MIMES[found[0].suffix],
                          metadata={"model_id": MODEL_ID})]
