"""ElevenLabs music stand-in: `POST /v1/music` → a real MP3, `GET /v1/user` for a key check.

`POST /elevenlabs/v1/music` (header `xi-api-key`), JSON `{"prompt", "music_length_ms",
"force_instrumental", "model_id"}`, optional query `output_format` (`mp3_<rate>_<kbps>`; the
default is mp3_44100_128; other families are refused by the stand-in, which only makes MP3).
Answers `200 audio/mpeg` with an MP3 of exactly `music_length_ms` (default 30 s): a soft
plucked arpeggio made by ffmpeg/libmp3lame, deterministic per prompt and cached.

Refusals: missing `prompt` (and no `composition_plan`) or `music_length_ms` outside
3000-600000 → 422 `{"detail": [{"type", "loc", "msg", "input"}]}`. Markers in the prompt:
`STANDIN:bad_prompt` → 400 `bad_prompt` with a `prompt_suggestion`; `STANDIN:quota` → 401
`quota_exceeded`; `STANDIN:ratelimit` → 429 `too_many_concurrent_requests`; `STANDIN:500` → 500.

Text to speech: `POST /elevenlabs/v1/text-to-speech/{voice_id}` answers the MP3 itself,
`.../with-timestamps` answers `{"audio_base64", "alignment", "normalized_alignment"}` whose
character times are where each word's sound really is (see `speech_synth`). JSON `{"text",
"model_id", "voice_settings"}`, query `output_format` (`mp3_<rate>_<kbps>`). Refusals: an
unknown voice → 404 `voice_not_found`; a missing or empty `text` → 422; an unknown `model_id` →
400 `model_not_found`; text over the model's limit → 400 `max_character_limit_exceeded`
(unconfirmed code word; the message is the real one's wording); voice settings outside 0-1 →
422. The stand-in does not normalise text, so `normalized_alignment` equals `alignment`.
The markers above work in the text as well.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from .errors import RouteError, eleven_error, eleven_validation, marker, retry_headers
from .http_layer import Request, Response
from .media_factory import ensure_file, make_music
from .speech_synth import speak

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

MIN_MS, MAX_MS = 3000, 600_000
DEFAULT_MS = 30_000
# The voice library of the stand-in's account: premade voices (id -> name).
VOICES = {"21m00Tcm4TlvDq8ikWAM": "Rachel", "29vD33N1CtxCmqQRPOHJ": "Drew", "2EiwWnXFnvU5JabPnv8n": "Clyde",
          "5Q0t7uMcjvnagumLfvZi": "Paul", "9BWtsMINqrJLrRacOk9x": "Aria", "AZnzlk1XvdvUeBnXmlld": "Domi",
          "CwhRBWXzGAHq8TQ4Fs17": "Roger", "EXAVITQu4vr4xnSDxMaL": "Bella", "ErXwobaYiN019PkySvjV": "Antoni",
          "TxGEqnHWrfWFTfGW9XjX": "Josh", "pNInz6obpgDQGcFmaJgB": "Adam"}
TTS_LIMITS = {"eleven_multilingual_v2": 10_000, "eleven_v3": 5_000, "eleven_flash_v2_5": 40_000,
              "eleven_turbo_v2_5": 40_000, "eleven_turbo_v2": 30_000, "eleven_flash_v2": 30_000}


def register(router: "Router", prefix: str) -> None:
    router.add("POST", prefix + "/v1/music", compose)
    router.add("GET", prefix + "/v1/user", user)
    router.add("POST", prefix + r"/v1/text-to-speech/(?P<voice_id>[^/]+)", text_to_speech)
    router.add("POST", prefix + r"/v1/text-to-speech/(?P<voice_id>[^/]+)/with-timestamps",
               text_to_speech_with_timestamps)
    router.add("GET", prefix + "/v1/user/subscription", subscription)


def compose(srv: "StandIn", req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise eleven_validation(["body"], "Input should be a valid dictionary", body, "dict_type")
    prompt = body.get("prompt")
    if prompt is None and body.get("composition_plan") is None:
        raise eleven_validation(["body", "prompt"], "Field required: give a prompt or a composition_plan", None,
                                "missing")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        raise eleven_validation(["body", "prompt"], "String should have at least 1 character", prompt,
                                "string_too_short")
    length = body.get("music_length_ms", DEFAULT_MS)
    if length is None:
        length = DEFAULT_MS
    if not isinstance(length, int) or isinstance(length, bool):
        raise eleven_validation(["body", "music_length_ms"], "Input should be a valid integer", length, "int_type")
    if length < MIN_MS:
        raise eleven_validation(["body", "music_length_ms"], f"Input should be greater than or equal to {MIN_MS}",
                                length, "greater_than_equal")
    if length > MAX_MS:
        raise eleven_validation(["body", "music_length_ms"], f"Input should be less than or equal to {MAX_MS}",
                                length, "less_than_equal")
    _mp3_format(req)
    text = prompt or str(body.get("composition_plan"))
    if marker(text, "bad_prompt"):
        raise RouteError(Response.json(400, {"detail": {
            "status": "bad_prompt",
            "message": "The prompt references material the music model cannot use.",
            "data": {"prompt_suggestion": "A gentle instrumental lo-fi piece with soft piano for a cozy pet video."}}}))
    _markers(srv, text)
    digest = hashlib.sha256(f"{text}|{length}".encode("utf-8")).hexdigest()[:24]
    path = ensure_file(srv.state.files_dir / "elevenlabs" / f"{digest}.mp3",
                       lambda out: make_music(out, text, length))
    return Response.send_file(path, "audio/mpeg", {"song-id": str(uuid.uuid4()),
                                                   "x-character-count": str(len(text))})


def _mp3_format(req: Request) -> tuple[int, int]:
    """(sample rate, kbps) of `output_format=mp3_<rate>_<kbps>`; other families are refused."""
    output_format = req.query_value("output_format", "mp3_44100_128") or "mp3_44100_128"
    parts = output_format.split("_")
    if len(parts) != 3 or parts[0] != "mp3" or not parts[1].isdigit() or not parts[2].isdigit():
        raise eleven_error(400, "invalid_output_format", f"The stand-in only makes MP3 (mp3_<rate>_<kbps>), not "
                                                         f"{output_format}.")
    return int(parts[1]), int(parts[2])


def _markers(srv: "StandIn", text: str) -> None:
    if marker(text, "quota"):
        raise eleven_error(401, "quota_exceeded", "This request exceeds your quota. You have 0 credits remaining.")
    if marker(text, "ratelimit"):
        raise eleven_error(429, "too_many_concurrent_requests", "Too many concurrent requests for your subscription.",
                           headers=retry_headers(srv.retry_after_seconds))
    if marker(text, "500"):
        raise eleven_error(500, "internal_error", "An internal error occurred, please try again.")


def _spoken(srv: "StandIn", req: Request, voice_id: str):
    """The checks both speech endpoints make, then the audio and its timing."""
    body = req.json()
    if not isinstance(body, dict):
        raise eleven_validation(["body"], "Input should be a valid dictionary", body, "dict_type")
    text = body.get("text")
    if text is None:
        raise eleven_validation(["body", "text"], "Field required", None, "missing")
    if not isinstance(text, str) or not text.strip():
        raise eleven_validation(["body", "text"], "String should have at least 1 character", text,
                                "string_too_short")
    if voice_id not in VOICES:
        raise eleven_error(404, "voice_not_found", f"A voice with the voice_id {voice_id} was not found.")
    model = body.get("model_id") or "eleven_multilingual_v2"
    if model not in TTS_LIMITS:
        raise eleven_error(400, "model_not_found", f"A model with model ID {model} does not exist.")
    if len(text) > TTS_LIMITS[model]:
        raise eleven_error(400, "max_character_limit_exceeded",
                           f"This request's text has {len(text)} characters and exceeds the character limit of "
                           f"{TTS_LIMITS[model]} characters.")
    settings = body.get("voice_settings") or {}
    for name in ("stability", "similarity_boost", "style"):
        value = settings.get(name) if isinstance(settings, dict) else None
        if value is not None and (not isinstance(value, (int, float)) or not 0 <= value <= 1):
            raise eleven_validation(["body", "voice_settings", name], "Input should be between 0 and 1", value,
                                    "less_than_equal")
    rate, kbps = _mp3_format(req)
    _markers(srv, text)
    path, spoken = speak(srv.state.files_dir, text, voice_id, sample_rate=rate, kbps=kbps)
    headers = {"request-id": uuid.uuid4().hex, "x-character-count": str(len(text))}
    return path, spoken, headers


def text_to_speech(srv: "StandIn", req: Request, voice_id: str) -> Response:
    path, _, headers = _spoken(srv, req, voice_id)
    return Response.send_file(path, "audio/mpeg", headers)


def text_to_speech_with_timestamps(srv: "StandIn", req: Request, voice_id: str) -> Response:
    path, spoken, headers = _spoken(srv, req, voice_id)
    data = path.read_bytes()
    srv.record_served(data, "audio/mpeg", req.path)
    alignment = spoken.alignment()
    return Response.json(200, {"audio_base64": base64.b64encode(data).decode("ascii"), "alignment": alignment,
                               "normalized_alignment": alignment}, headers)


def _subscription() -> dict[str, Any]:
    return {"tier": "creator", "character_count": 0, "character_limit": 100_000, "can_extend_character_limit": True,
            "allowed_to_extend_character_limit": True, "status": "active", "currency": "usd"}


def user(srv: "StandIn", req: Request) -> Response:
    return Response.json(200, {"user_id": "standin-user", "subscription": _subscription(), "is_new_user": False,
                               "first_name": "Stand-in", "can_use_delayed_payment_methods": False})


def subscription(srv: "StandIn", req: Request) -> Response:
    return Response.json(200, _subscription())
