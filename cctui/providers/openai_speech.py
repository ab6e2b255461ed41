"""OpenAI text to speech, then a transcription of it for word timing, as one txt2speech job.

`POST /audio/speech` (`model`, `voice`, `input` up to 4096 characters, `response_format` mp3,
optional `instructions`) gives audio without any timing, so the same job then sends that audio
to `POST /audio/transcriptions` (`whisper-1`, `response_format=verbose_json`,
`timestamp_granularities[]=word`) and takes the words' times from it. The audio is written
before the transcription is asked: a transcription that fails loses nothing paid, the job still
completes, with the words spread evenly over the audio (`timing_source: "estimated"`).
"""

from __future__ import annotations

import uuid
from typing import Any

import openai

from ..costs.cost import Cost
from ..costs.prices import Prices
from ..settings import Settings
from .base import MediaRequest, ProviderError, Submitted
from .http_errors import not_configured
from .openai_errors import SDK_ERRORS, from_openai_error
from .speech_files import SpeechJob, audio_duration, check_request, finished, narration, save_audio
from .speech_words import even_words, fit_words, words_from_transcription
from .tls import openai_http_client

DEFAULT_MODEL = "gpt-4o-mini-tts"
MODELS = ("gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "tts-1", "tts-1-hd")
NO_INSTRUCTIONS = ("tts-1", "tts-1-hd")  # the API refuses `instructions` for these
# The built-in voices, as CreateSpeechRequest's description lists them.
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
          "marin", "cedar")
DEFAULT_VOICE = "coral"
MAX_INPUT = 4096
MAX_INSTRUCTIONS = 4096
TRANSCRIBE_MODEL = "whisper-1"
TIMEOUT = 180.0
# The transcription is a paid request too, so it is sent once like every other: when its answer
# is lost, the timing is estimated from the saved audio instead of paying again.
TRANSCRIBE_RETRIES = 0
WORDS_PER_SECOND = 2.5  # speaking pace for a price before the audio exists


class OpenAISpeech(SpeechJob):
    """`MediaProvider` for ("openai", "txt2speech").

    settings: openai_api_key (required), openai_base_url.
    params: text (the narration), voice (one of `VOICES`), model (default gpt-4o-mini-tts),
    instructions (optional, how to speak: "Speak as a calm, content cat").
    """

    name = "openai"
    default_model = DEFAULT_MODEL
    default_voice = DEFAULT_VOICE

    def __init__(self, settings: Settings, *, client: openai.AsyncOpenAI | None = None,
                 timeout: float = TIMEOUT, prices: Prices | None = None):
        if client is None and (settings.openai_api_key is None
                               or not settings.openai_api_key.get_secret_value()):
            raise not_configured("OpenAI", "OPENAI_API_KEY", "openai")
        self.settings = settings
        self.base_url = settings.openai_base_url
        self.prices = prices or Prices.load(settings.data_dir)
        self._secrets = settings.secret_values()
        self.client = client or openai.AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
            timeout=timeout, max_retries=0, http_client=openai_http_client())

    async def aclose(self) -> None:
        await self.client.close()

    # ------------------------------------------------------------------ prices

    def _cost(self, model: str, characters: int, seconds: float, transcribed: bool) -> Cost | None:
        """Speech (per the list: per minute or per character) plus the transcription (per minute)."""
        parts = [self.prices.speech("openai", model, characters=characters, seconds=seconds)]
        if transcribed:
            parts.append(self.prices.speech("openai", TRANSCRIBE_MODEL, seconds=seconds))
        if any(p is None for p in parts):
            return None
        amount = round(sum(p.amount for p in parts), 6)
        return Cost(amount, "usd", round(seconds, 3), "second", round(amount / seconds, 6) if seconds else None,
                    model, "prices")

    def estimate(self, request: MediaRequest) -> Cost | None:
        """Before the audio exists: its length guessed from the words at a speaking pace."""
        text = narration(request)
        seconds = max(1.0, len(text.split()) / WORDS_PER_SECOND)
        return self._cost(self._model(request.params), len(text), seconds, transcribed=True)

    # ------------------------------------------------------------------ checks

    def check(self, request: MediaRequest) -> None:
        params = request.params
        model = self._model(params)
        if model not in MODELS:
            raise ProviderError(f"OpenAI speech cannot use the model {model!r}: choose one of "
                                f"{', '.join(MODELS)}.", "unsupported", provider=self.name)
        check_request(request, provider=self.name, what="OpenAI speech", limit=MAX_INPUT)
        voice = self._voice(params)
        if voice not in VOICES:
            raise ProviderError(f"OpenAI has no voice {voice!r}: choose one of {', '.join(VOICES)}.",
                                "bad_request", provider=self.name)
        instructions = str(params.get("instructions") or "").strip()
        if instructions and model in NO_INSTRUCTIONS:
            raise ProviderError(f"{model} does not take speaking instructions; use gpt-4o-mini-tts or "
                                f"leave them empty.", "unsupported", provider=self.name)
        if len(instructions) > MAX_INSTRUCTIONS:
            raise ProviderError(f"The speaking instructions are {len(instructions):,} characters; OpenAI "
                                f"takes at most {MAX_INSTRUCTIONS:,}.", "bad_request", provider=self.name)

    # ------------------------------------------------------------------ the job

    async def _speak(self, request: MediaRequest) -> tuple[bytes, str | None]:
        params = request.params
        kwargs: dict[str, Any] = {"model": self._model(params), "voice": self._voice(params),
                                  "input": narration(request), "response_format": "mp3"}
        instructions = str(params.get("instructions") or "").strip()
        if instructions:
            kwargs["instructions"] = instructions
        try:
            # Paid and synchronous: sent once (the client has no automatic retries).
            response = await self.client.audio.speech.create(**kwargs)
        except SDK_ERRORS as exc:
            raise from_openai_error(exc, what="OpenAI speech", base_url=self.base_url, secrets=self._secrets,
                                    model=kwargs["model"], paid=True) from None
        return response.content, response.response.headers.get("x-request-id")

    async def _transcribe(self, data: bytes) -> tuple[list[Any], float | None]:
        try:
            answer = await self.client.with_options(max_retries=TRANSCRIBE_RETRIES).audio.transcriptions.create(
                file=("narration.mp3", data, "audio/mpeg"), model=TRANSCRIBE_MODEL,
                response_format="verbose_json", timestamp_granularities=["word"])
        except SDK_ERRORS as exc:
            raise from_openai_error(exc, what="OpenAI transcription (for the word timing)",
                                    base_url=self.base_url, secrets=self._secrets,
                                    model=TRANSCRIBE_MODEL) from None
        return list(getattr(answer, "words", None) or []), getattr(answer, "duration", None)

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        model, voice, text = self._model(request.params), self._voice(request.params), narration(request)
        audio, request_id = await self._speak(request)
        if not audio:
            raise ProviderError("OpenAI speech answered with empty audio; it was probably charged. "
                                "Generate again.", "invalid_output", provider=self.name, request_id=request_id)
        path = save_audio(request, audio)  # before the transcription: a failure there keeps this
        metadata: dict[str, Any] = {"voice": voice, "model": model, "characters": len(text), "text": text}
        if request.params.get("instructions"):
            metadata["instructions"] = str(request.params["instructions"]).strip()
        duration = await audio_duration(path)
        transcribed = False
        try:
            heard, heard_duration = await self._transcribe(audio)
            duration = duration or heard_duration
            words = fit_words(words_from_transcription(heard), duration or 0.0)
            transcribed = True
            if not words:
                raise ProviderError("the transcription heard no words", "invalid_output", provider=self.name)
            metadata.update(words=words, timing_source="transcription", transcription_model=TRANSCRIBE_MODEL)
        except ProviderError as exc:
            metadata.update(words=even_words(text, duration or 0.0), timing_source="estimated",
                            note=f"The word timing is estimated (spread evenly over the audio): {exc}")
        metadata["duration"] = round(duration or 0.0, 3)
        if request_id:
            metadata["request_id"] = request_id
        cost = self._cost(model, len(text), duration or 0.0, transcribed)
        return finished(request, path, metadata, provider_job_id=request_id or f"openai-tts-{uuid.uuid4()}",
                        cost=cost)
