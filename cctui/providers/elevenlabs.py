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

from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import EXTENSION_MIMES, Stream, save_download
from .elevenlabs_api import ElevenLabsClient, api_error

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


class ElevenLabsMusic(ElevenLabsClient):
    """`MediaProvider` for ("elevenlabs", "txt2music").

    settings: elevenlabs_api_key (required), elevenlabs_base_url.
    params: prompt, music_length_ms (3000-600000; or duration in seconds), force_instrumental.
    """

    timeout = TIMEOUT
    action = "txt2music"

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
        return api_error(response, what="ElevenLabs music", api="the music API", secrets=self._secrets)

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
