"""What both voice clients (ElevenLabs, OpenAI) share: the narration's checks, its audio file and
a words file beside it, its duration, and the result found again on disk.

The words go into `<stem>.words.json` next to `<stem>.mp3`, so a job listed again after a
restart (`download()`) still has its captions' timing without asking (or paying) anyone again.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import write_atomic

ACTION = "txt2speech"
MIME = "audio/mpeg"


def narration(request: MediaRequest) -> str:
    return str(request.params.get("text") or "").strip()


def check_request(request: MediaRequest, *, provider: str, what: str, limit: int) -> str:
    """The narration text, after the checks every voice provider needs; raises before any money."""
    if request.action != ACTION:
        raise ProviderError(f"{what} cannot do {request.action}.", "unsupported", provider=provider)
    text = narration(request)
    if not text:
        raise ProviderError("The narration text is empty.", "bad_request", provider=provider)
    if len(text) > limit:
        raise ProviderError(f"{what} reads at most {limit:,} characters at once; this narration has "
                            f"{len(text):,}. Shorten it.", "bad_request", provider=provider)
    if not request.media_dir or not request.stem:
        raise ProviderError("The job has no media folder or file name stem.", "bad_request",
                            provider=provider)
    return text


def unit_interval(params: dict[str, Any], name: str, provider: str) -> float | None:
    """An optional 0-1 setting (stability, similarity_boost)."""
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise ProviderError(f"{name} must be a number from 0 to 1, not {value!r}.", "bad_request",
                            provider=provider)
    return number


def audio_path(request: MediaRequest) -> Path:
    return Path(request.media_dir) / f"{request.stem}.mp3"


def _words_path(request: MediaRequest) -> Path:
    return Path(request.media_dir) / f"{request.stem}.words.json"


def save_audio(request: MediaRequest, data: bytes) -> Path:
    path = audio_path(request)
    write_atomic(path, data)
    return path


async def audio_duration(path: Path) -> float | None:
    """The audio's length as ffmpeg reads it; None when it cannot (the caller then falls back
    on the provider's own timing)."""
    # Imported here: the media package pulls in the whole render side, which a voice job never needs.
    from ..media.errors import MediaError
    from ..media.probe import aprobe

    try:
        return (await aprobe(path)).duration
    except MediaError:
        return None


def finished(request: MediaRequest, path: Path, metadata: dict[str, Any], *, provider_job_id: str,
             cost: Cost | None) -> Submitted:
    """The whole job's answer: the audio, and its metadata written beside it with what the
    provider answered (its id, the charge), so `found_again` and `saved_answer` can use it."""
    answer = {"provider_job_id": provider_job_id, "cost": dataclasses.asdict(cost) if cost else None}
    write_atomic(_words_path(request),
                 json.dumps({**metadata, ANSWER_KEY: answer}, ensure_ascii=False).encode("utf-8"))
    return Submitted(provider_job_id=provider_job_id, cost=cost,
                     files=[MediaFile("audio", str(path), mime=MIME, metadata=metadata)])


ANSWER_KEY = "_answer"  # in the words file only: the provider's id and charge, not content metadata


def _saved(request: MediaRequest) -> dict[str, Any] | None:
    try:
        saved = json.loads(_words_path(request).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def found_again(request: MediaRequest, provider_job_id: str, provider: str) -> list[MediaFile]:
    path = audio_path(request)
    if not path.is_file():
        raise ProviderError(f"The narration of job {provider_job_id} is not in {path.parent}; make "
                            f"it again.", "failed", provider=provider)
    metadata = {k: v for k, v in (_saved(request) or {}).items() if k != ANSWER_KEY}
    return [MediaFile("audio", str(path), mime=MIME, metadata=metadata)]


def saved_answer(request: MediaRequest) -> Submitted | None:
    """The answer of a job whose worker was killed after the provider answered and the audio was
    saved, but before the job recorded it: the words file is written last, so with it the job is
    done and paid for, under its own name. None when it is not on disk."""
    saved = _saved(request)
    answer = (saved or {}).get(ANSWER_KEY)
    if not audio_path(request).is_file() or not isinstance(answer, dict) or not answer.get("provider_job_id"):
        return None
    try:
        cost = Cost(**answer["cost"]) if isinstance(answer.get("cost"), dict) else None
    except TypeError:
        cost = None
    return Submitted(provider_job_id=str(answer["provider_job_id"]), cost=cost)


class SpeechJob:
    """What a voice client is besides its request: a txt2speech job done inside `submit()`, with
    the model and voice read from the params or the client's defaults."""

    name: str
    default_model = ""
    default_voice = ""

    def supports(self, action: str) -> bool:
        return action == ACTION

    def _model(self, params: dict[str, Any]) -> str:
        return str(params.get("model") or self.default_model)

    def _voice(self, params: dict[str, Any]) -> str:
        return str(params.get("voice") or self.default_voice)

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        """The narration `submit()` wrote, found again on disk with its words."""
        return found_again(request, provider_job_id, self.name)

    def saved_answer(self, request: MediaRequest) -> Submitted | None:
        return saved_answer(request)
