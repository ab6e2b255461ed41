"""ElevenLabs text to speech with character timing, as a media provider for txt2speech.

`POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=mp3_44100_128`, JSON
`{"text", "model_id", "voice_settings": {"stability", "similarity_boost"}}`, answers
`{"audio_base64", "alignment", "normalized_alignment"}`; each alignment is
`{"characters", "character_start_times_seconds", "character_end_times_seconds"}`. The answer is
the whole job, so `submit()` writes the MP3 and the words before it returns.

Confirmed from third-party descriptions of the API (ElevenLabs' own reference was not read):
the path, the body fields, the answer's fields, the `voice_not_found` refusal (404 now, 400 in
older answers). Unconfirmed: the per-model character limits below (third-party model tables:
Multilingual v2 10,000, v3 5,000, Flash/Turbo v2.5 40,000) and that the premade voices below are
still in every account (ElevenLabs retired several of its first premade voices for new users).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import httpx

from .base import Cost, MediaRequest, ProviderError, Submitted
from .elevenlabs_api import ElevenLabsClient, api_error
from .http_errors import redact, transport_error
from .speech_files import (ACTION, SpeechJob, audio_duration, check_request, finished, narration, save_audio,
                           unit_interval)
from .speech_words import fit_words, words_from_alignment

DEFAULT_MODEL = "eleven_multilingual_v2"
MODEL_LIMITS = {"eleven_multilingual_v2": 10_000, "eleven_v3": 5_000, "eleven_flash_v2_5": 40_000,
                "eleven_turbo_v2_5": 40_000}
OUTPUT_FORMAT = "mp3_44100_128"
# Premade voices (voice id -> name), ids as ElevenLabs' voice library lists them.
VOICES = {
    "21m00Tcm4TlvDq8ikWAM": "Rachel",
    "pNInz6obpgDQGcFmaJgB": "Adam",
    "EXAVITQu4vr4xnSDxMaL": "Bella",
    "ErXwobaYiN019PkySvjV": "Antoni",
    "AZnzlk1XvdvUeBnXmlld": "Domi",
    "TxGEqnHWrfWFTfGW9XjX": "Josh",
    "9BWtsMINqrJLrRacOk9x": "Aria",
    "CwhRBWXzGAHq8TQ4Fs17": "Roger",
}
DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"
TIMEOUT = httpx.Timeout(180.0, connect=10.0)  # a minute of speech takes seconds, a long text longer


class ElevenLabsSpeech(SpeechJob, ElevenLabsClient):
    """`MediaProvider` for ("elevenlabs", "txt2speech").

    settings: elevenlabs_api_key (required), elevenlabs_base_url.
    params: text (the narration), voice (a voice id of `VOICES`), model (default
    eleven_multilingual_v2), stability and similarity_boost (0-1, optional).
    """

    timeout = TIMEOUT
    action = ACTION
    default_model = DEFAULT_MODEL
    default_voice = DEFAULT_VOICE

    def estimate(self, request: MediaRequest) -> Cost | None:
        """The price list's price for this many characters (ElevenLabs bills per character)."""
        return self.prices.speech("elevenlabs", self._model(request.params),
                                  characters=len(narration(request)))

    def check(self, request: MediaRequest) -> None:
        params = request.params
        model = self._model(params)
        if model not in MODEL_LIMITS:
            raise ProviderError(f"ElevenLabs speech cannot use the model {model!r} here: choose one of "
                                f"{', '.join(MODEL_LIMITS)}.", "unsupported", provider=self.name)
        check_request(request, provider=self.name, what=f"ElevenLabs {model}", limit=MODEL_LIMITS[model])
        voice = self._voice(params)
        if voice not in VOICES:
            raise ProviderError(f"ElevenLabs has no voice {voice!r} in this form: choose one of "
                                + ", ".join(f"{name} ({vid})" for vid, name in VOICES.items()) + ".",
                                "bad_request", provider=self.name)
        for name in ("stability", "similarity_boost"):
            unit_interval(params, name, self.name)

    def _body(self, request: MediaRequest) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {"text": narration(request), "model_id": self._model(params)}
        settings = {name: unit_interval(params, name, self.name) for name in ("stability", "similarity_boost")}
        settings = {k: v for k, v in settings.items() if v is not None}
        if settings:
            body["voice_settings"] = settings
        return body

    def _invalid(self, what: str, request_id: str | None) -> ProviderError:
        ref = f" (request id {request_id})" if request_id else ""
        return ProviderError(f"ElevenLabs speech answered {what}{ref}; the characters were probably "
                             f"charged. Generate again to get a usable narration.", "invalid_output",
                             provider=self.name, request_id=request_id)

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        voice, model = self._voice(request.params), self._model(request.params)
        body = self._body(request)
        try:
            # Paid and synchronous: sent once, never retried (a second send is a second charge).
            response = await self.http.post(f"v1/text-to-speech/{voice}/with-timestamps", json=body,
                                             params={"output_format": OUTPUT_FORMAT})
        except httpx.HTTPError as exc:
            raise transport_error(exc, provider=self.name, what="ElevenLabs speech",
                                  where=redact(self.base_url, self._secrets), secrets=self._secrets) from None
        if not response.is_success:
            raise api_error(response, what="ElevenLabs speech", api="text to speech", secrets=self._secrets)
        request_id = response.headers.get("request-id")
        try:
            answer = response.json()
            audio = base64.b64decode(answer["audio_base64"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise self._invalid("without readable audio", request_id) from None
        if not audio:
            raise self._invalid("with empty audio", request_id)
        path = save_audio(request, audio)
        alignment = answer.get("alignment") or answer.get("normalized_alignment") or {}
        words = words_from_alignment(alignment.get("characters") or [],
                                     alignment.get("character_start_times_seconds") or [],
                                     alignment.get("character_end_times_seconds") or [])
        duration = await audio_duration(path) or (words[-1]["end"] if words else 0.0)
        characters = _header_int(response.headers.get("x-character-count")) or len(body["text"])
        metadata: dict[str, Any] = {"words": fit_words(words, duration), "voice": voice,
                                    "voice_name": VOICES.get(voice, voice), "model": model,
                                    "characters": characters, "duration": round(duration, 3),
                                    "timing_source": "alignment", "text": body["text"]}
        if request_id:
            metadata["request_id"] = request_id
        cost = self.prices.speech("elevenlabs", model, characters=characters)
        return finished(request, path, metadata, provider_job_id=request_id or f"elevenlabs-tts-{uuid.uuid4()}",
                        cost=cost)


def _header_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
