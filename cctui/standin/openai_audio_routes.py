"""OpenAI audio stand-in: text to speech and transcription, checked as CreateSpeechRequest and
CreateTranscriptionRequest of OpenAI's OpenAPI document describe them.

`POST /openai/v1/audio/speech`, JSON `{"model", "input", "voice", "instructions",
"response_format", "speed", "stream_format"}`: required model, input (1-4096 characters) and
voice (a built-in one); `instructions` (≤ 4096) not with tts-1/tts-1-hd; unknown fields refused
(the schema has `additionalProperties: false`). Answers the audio bytes: MP3 or WAV (the
stand-in makes no opus/aac/flac/pcm and says so with a 400), no SSE stream.

`POST /openai/v1/audio/transcriptions`, multipart: `file` and `model` required;
`response_format` of AudioResponseFormat (gpt-4o(-mini)-transcribe: json only);
`timestamp_granularities[]` (word, segment) only with `verbose_json`. Audio the stand-in spoke
itself is "heard" exactly (its words and times, see `speech_synth`); any other audio gets
plausible words spread over its duration. Markers (`STANDIN:500` ...) work in `input`.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import openai_error, openai_sync_markers
from .http_layer import Request, Response
from .media_factory import ffmpeg_exe
from .speech_synth import speak, spoken

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

TTS_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin",
          "cedar")
SPEECH_FIELDS = ("model", "input", "instructions", "voice", "response_format", "speed", "stream_format")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MAX_INPUT = 4096
TRANSCRIBE_MODELS = ("whisper-1", "gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
                     "gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-transcribe-diarize")
JSON_ONLY = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe-2025-12-15")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
AUDIO_TYPES = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
FILLER = ("the", "cat", "sat", "on", "a", "warm", "sunny", "sofa", "and", "purred", "softly", "dog", "waits", "by",
          "door")


def register(router: "Router", prefix: str) -> None:
    router.add("POST", prefix + "/audio/speech", speech)
    router.add("POST", prefix + "/audio/transcriptions", transcriptions)


def _invalid(param: str, value: Any, allowed: tuple[str, ...]) -> None:
    raise openai_error(400, f"Invalid value: '{value}'. Supported values are: "
                            + ", ".join(f"'{a}'" for a in allowed) + ".", param=param, code="invalid_value")


def _missing(param: str) -> None:
    raise openai_error(400, f"Missing required parameter: '{param}'.", param=param,
                       code="missing_required_parameter")


# --------------------------------------------------------------------------- speech


def speech(srv: "StandIn", req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise openai_error(400, "The request body must be a JSON object.", code="invalid_type")
    for name in body:
        if name not in SPEECH_FIELDS:
            raise openai_error(400, f"Unrecognized request argument supplied: {name}", param=name,
                               code="unknown_parameter")
    for name in ("model", "input", "voice"):
        if body.get(name) in (None, ""):
            _missing(name)
    model, text, voice = body["model"], body["input"], body["voice"]
    if model not in TTS_MODELS:
        _invalid("model", model, TTS_MODELS)
    if not isinstance(text, str):
        raise openai_error(400, "Invalid type for 'input': expected a string.", param="input", code="invalid_type")
    if len(text) > MAX_INPUT:
        raise openai_error(400, f"Invalid 'input': string too long. Expected a string with maximum length "
                                f"{MAX_INPUT}, but got a string with length {len(text)} instead.", param="input",
                           code="string_above_max_length")
    if voice not in VOICES:
        _invalid("voice", voice, VOICES)
    instructions = body.get("instructions")
    if instructions is not None:
        if model in ("tts-1", "tts-1-hd"):
            raise openai_error(400, f"Instructions are not supported for the model {model}.", param="instructions")
        if not isinstance(instructions, str) or len(instructions) > MAX_INPUT:
            raise openai_error(400, f"Invalid 'instructions': expected a string of at most {MAX_INPUT} characters.",
                               param="instructions", code="string_above_max_length")
    fmt = body.get("response_format") or "mp3"
    if fmt not in SPEECH_FORMATS:
        _invalid("response_format", fmt, SPEECH_FORMATS)
    if fmt not in ("mp3", "wav"):
        raise openai_error(400, f"The stand-in only makes mp3 and wav speech, not {fmt}.", param="response_format")
    speed = body.get("speed", 1)
    if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not 0.25 <= speed <= 4:
        raise openai_error(400, f"Invalid 'speed': expected a number from 0.25 to 4, got {speed!r}.", param="speed",
                           code="invalid_value")
    if body.get("stream_format", "audio") not in ("audio", "sse"):
        _invalid("stream_format", body.get("stream_format"), ("sse", "audio"))
    if body.get("stream_format") == "sse":
        raise openai_error(400, "The stand-in does not stream speech (stream_format sse).", param="stream_format")
    openai_sync_markers(text, srv.retry_after_seconds)
    path, _ = speak(srv.state.files_dir, text, f"openai-{voice}", sample_rate=24_000, kbps=64)
    if fmt == "wav":
        return Response.raw(200, _decode(path.read_bytes(), ["-f", "wav"]), "audio/wav")
    return Response.send_file(path, "audio/mpeg")


# --------------------------------------------------------------------------- transcriptions


def _decode(data: bytes, output: list[str]) -> bytes:
    """`data` run through ffmpeg to `output` (format options) on stdout; b"" when it is not audio."""
    with tempfile.TemporaryDirectory(prefix="standin-hear-") as tmp:
        source = Path(tmp) / "in"
        source.write_bytes(data)
        done = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(source),
                               *output, "-"], capture_output=True, timeout=60)
    return done.stdout if done.returncode == 0 else b""


def _duration(data: bytes) -> float | None:
    pcm = _decode(data, ["-ac", "1", "-ar", "8000", "-f", "s16le"])
    return round(len(pcm) / 2 / 8000, 3) if pcm else None


def _heard(srv: "StandIn", data: bytes) -> tuple[str, float, list[dict[str, Any]]]:
    """(text, duration, words) of the audio: the true ones for audio the stand-in said."""
    known = spoken(srv.state.files_dir, data)
    if known:
        return known["text"], known["duration"], known["words"]
    duration = _duration(data)
    if duration is None:
        raise openai_error(400, "Invalid file format. Supported formats: "
                                + str(list(AUDIO_TYPES)), param="file", code="invalid_value")
    rng = random.Random(len(data))
    count = max(1, int(duration * 2.5))
    step = duration / count
    words = [{"word": rng.choice(FILLER), "start": round(i * step, 3), "end": round(i * step + step * 0.8, 3)}
             for i in range(count)]
    return " ".join(w["word"] for w in words), duration, words


def _timestamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def transcriptions(srv: "StandIn", req: Request) -> Response:
    fields: dict[str, list[Any]] = {}
    for part in req.parts():
        fields.setdefault(part.name, []).append(part)
    files = fields.get("file") or []
    if not files or not files[0].data:
        _missing("file")
    if not fields.get("model") or not fields["model"][0].text:
        _missing("model")
    model = fields["model"][0].text
    if model not in TRANSCRIBE_MODELS:
        _invalid("model", model, TRANSCRIBE_MODELS)
    fmt = fields["response_format"][0].text if fields.get("response_format") else "json"
    if fmt not in TRANSCRIPT_FORMATS:
        _invalid("response_format", fmt, TRANSCRIPT_FORMATS)
    if model in JSON_ONLY and fmt != "json":
        raise openai_error(400, f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json'.",
                           param="response_format", code="unsupported_value")
    granularities = [p.text for p in fields.get("timestamp_granularities[]", []) + fields.get(
        "timestamp_granularities", [])]
    for value in granularities:
        if value not in ("word", "segment"):
            _invalid("timestamp_granularities", value, ("word", "segment"))
    if granularities and fmt != "verbose_json":
        raise openai_error(400, "timestamp_granularities is only supported with response_format verbose_json.",
                           param="timestamp_granularities")
    text, duration, words = _heard(srv, files[0].data)
    segment = {"id": 0, "seek": 0, "start": 0.0, "end": duration, "text": " " + text, "tokens": [],
               "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01}
    if fmt == "text":
        return Response.raw(200, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8")
    if fmt in ("srt", "vtt"):
        sep = "," if fmt == "srt" else "."
        cue = f"{_timestamp(0, sep)} --> {_timestamp(duration, sep)}\n{text}\n"
        out = f"1\n{cue}" if fmt == "srt" else f"WEBVTT\n\n{cue}"
        return Response.raw(200, out.encode("utf-8"), "text/plain; charset=utf-8")
    usage = {"type": "duration", "seconds": int(round(duration))}
    if fmt != "verbose_json":
        return Response.json(200, {"text": text, "usage": usage})
    answer: dict[str, Any] = {"task": "transcribe", "language": "english", "duration": duration, "text": text,
                              "usage": usage}
    if "word" in granularities:
        answer["words"] = words
    if "segment" in granularities or not granularities:
        answer["segments"] = [segment]
    return Response.json(200, answer)
