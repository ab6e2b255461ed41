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
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from .errors import RouteError, eleven_error, eleven_validation, marker, retry_headers
from .http_layer import Request, Response
from .media_factory import ensure_file, make_music

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

MIN_MS, MAX_MS = 3000, 600_000
DEFAULT_MS = 30_000


def register(router: "Router", prefix: str) -> None:
    router.add("POST", prefix + "/v1/music", compose)
    router.add("GET", prefix + "/v1/user", user)
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
    output_format = req.query_value("output_format", "mp3_44100_128") or "mp3_44100_128"
    if not output_format.startswith("mp3_"):
        raise eleven_error(400, "invalid_output_format", f"The stand-in only makes MP3 (mp3_*), not "
                                                         f"{output_format}.")
    text = prompt or str(body.get("composition_plan"))
    if marker(text, "bad_prompt"):
        raise RouteError(Response.json(400, {"detail": {
            "status": "bad_prompt",
            "message": "The prompt references material the music model cannot use.",
            "data": {"prompt_suggestion": "A gentle instrumental lo-fi piece with soft piano for a cozy pet video."}}}))
    if marker(text, "quota"):
        raise eleven_error(401, "quota_exceeded", "This request exceeds your quota. You have 0 credits remaining.")
    if marker(text, "ratelimit"):
        raise eleven_error(429, "too_many_concurrent_requests", "Too many concurrent requests for your subscription.",
                           headers=retry_headers(srv.retry_after_seconds))
    if marker(text, "500"):
        raise eleven_error(500, "internal_error", "An internal error occurred, please try again.")
    digest = hashlib.sha256(f"{text}|{length}".encode("utf-8")).hexdigest()[:24]
    path = ensure_file(srv.state.files_dir / "elevenlabs" / f"{digest}.mp3",
                       lambda out: make_music(out, text, length))
    return Response.send_file(path, "audio/mpeg", {"song-id": str(uuid.uuid4()),
                                                   "x-character-count": str(len(text))})


def _subscription() -> dict[str, Any]:
    return {"tier": "creator", "character_count": 0, "character_limit": 100_000, "can_extend_character_limit": True,
            "allowed_to_extend_character_limit": True, "status": "active", "currency": "usd"}


def user(srv: "StandIn", req: Request) -> Response:
    return Response.json(200, {"user_id": "standin-user", "subscription": _subscription(), "is_new_user": False,
                               "first_name": "Stand-in", "can_use_delayed_payment_methods": False})


def subscription(srv: "StandIn", req: Request) -> Response:
    return Response.json(200, _subscription())
