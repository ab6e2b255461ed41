"""The stand-in's voices: ElevenLabs and OpenAI speech refuse like the services do, and the audio
they make is loud where their timing says a word is and quiet between words."""

from __future__ import annotations

import base64
import math
import struct
import subprocess

import pytest

from cctui.standin.media_factory import ffmpeg_exe

OPENAI = {"authorization": "Bearer sk-test"}
ELEVEN = {"xi-api-key": "el-test"}
RACHEL = "21m00Tcm4TlvDq8ikWAM"
TTS = f"/elevenlabs/v1/text-to-speech/{RACHEL}"
TEXT = "Hello there, my sleepy human. Feed me now!"
RATE = 8000


def pcm(data: bytes) -> list[int]:
    done = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", "pipe:0", "-ac", "1", "-ar",
                           str(RATE), "-f", "s16le", "pipe:1"], input=data, capture_output=True, timeout=60,
                          check=True)
    return list(struct.unpack(f"<{len(done.stdout) // 2}h", done.stdout))


def rms(samples: list[int], start: float, end: float) -> float:
    # The middle half of the span: MP3 framing smears the edges by a few milliseconds.
    quarter = (end - start) / 4
    part = samples[int((start + quarter) * RATE):int((end - quarter) * RATE)]
    return math.sqrt(sum(s * s for s in part) / max(1, len(part)))


def words_of(alignment: dict) -> list[tuple[float, float]]:
    spans, current = [], None
    for char, start, end in zip(alignment["characters"], alignment["character_start_times_seconds"],
                                alignment["character_end_times_seconds"]):
        if char.isspace():
            if current:
                spans.append(current)
            current = None
        else:
            current = (current[0], end) if current else (start, end)
    return spans + ([current] if current else [])


def test_elevenlabs_speech_is_loud_inside_words_and_quiet_between(http):
    answer = http.post(TTS + "/with-timestamps", json={"text": TEXT, "model_id": "eleven_multilingual_v2"},
                       headers=ELEVEN)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert answer.headers["request-id"]
    assert body["alignment"]["characters"] == list(TEXT) and body["normalized_alignment"]
    samples = pcm(base64.b64decode(body["audio_base64"]))
    spans = words_of(body["alignment"])
    assert len(spans) == len(TEXT.split())
    inside = [rms(samples, s, e) for s, e in spans]
    between = [rms(samples, a[1], b[0]) for a, b in zip(spans, spans[1:])]
    assert min(inside) > 2000 and max(between) < 300, (inside, between)
    assert len(samples) / RATE >= spans[-1][1]


def test_plain_elevenlabs_speech_answers_the_mp3(http):
    answer = http.post(TTS, json={"text": "Purr."}, headers=ELEVEN)
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/mpeg"
    assert pcm(answer.content)


@pytest.mark.parametrize("path, body, status, detail", [
    ("/elevenlabs/v1/text-to-speech/NoSuchVoice/with-timestamps", {"text": "hi"}, 404, "voice_not_found"),
    (TTS + "/with-timestamps", {"model_id": "eleven_multilingual_v2"}, 422, "missing"),
    (TTS + "/with-timestamps", {"text": "a" * 10_001}, 400, "max_character_limit_exceeded"),
    (TTS + "/with-timestamps", {"text": "hi", "model_id": "nope"}, 400, "model_not_found"),
    (TTS, {"text": "hi", "voice_settings": {"stability": 3}}, 422, "less_than_equal"),
])
def test_elevenlabs_speech_refusals(http, path, body, status, detail):
    answer = http.post(path, json=body, headers=ELEVEN)
    assert answer.status_code == status and detail in answer.text


def test_elevenlabs_speech_wrong_key(http):
    answer = http.post(TTS, json={"text": "hi"}, headers={"xi-api-key": "el-wrong"})
    assert answer.status_code == 401 and answer.json()["detail"]["status"] == "invalid_api_key"


def test_openai_speech_then_transcription_hears_the_true_words(http):
    speech = http.post("/openai/v1/audio/speech", json={"model": "gpt-4o-mini-tts", "voice": "coral",
                                                         "input": TEXT, "instructions": "like a cat"},
                       headers=OPENAI)
    assert speech.status_code == 200 and speech.headers["content-type"] == "audio/mpeg"
    heard = http.post("/openai/v1/audio/transcriptions", headers=OPENAI,
                      files={"file": ("a.mp3", speech.content, "audio/mpeg")},
                      data={"model": "whisper-1", "response_format": "verbose_json",
                            "timestamp_granularities[]": "word"})
    assert heard.status_code == 200, heard.text
    body = heard.json()
    assert body["task"] == "transcribe" and body["language"] == "english" and body["text"] == TEXT
    assert [w["word"] for w in body["words"]] == TEXT.split()
    samples = pcm(speech.content)
    words = body["words"]
    assert min(rms(samples, w["start"], w["end"]) for w in words) > 2000
    assert max(rms(samples, a["end"], b["start"]) for a, b in zip(words, words[1:])) < 300
    assert body["duration"] >= words[-1]["end"]


def test_transcription_of_other_audio_spreads_plausible_words(http):
    speech = http.post("/openai/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "Meow.",
                                                         "response_format": "wav"}, headers=OPENAI)
    assert speech.status_code == 200 and speech.content[:4] == b"RIFF"
    heard = http.post("/openai/v1/audio/transcriptions", headers=OPENAI,
                      files={"file": ("a.wav", speech.content, "audio/wav")},
                      data={"model": "whisper-1", "response_format": "verbose_json",
                            "timestamp_granularities[]": "word"})
    body = heard.json()
    assert heard.status_code == 200 and body["words"]
    assert all(0 <= w["start"] <= w["end"] <= body["duration"] for w in body["words"])


@pytest.mark.parametrize("body, param", [
    ({"model": "gpt-4o-mini-tts", "voice": "coral"}, "input"),
    ({"model": "gpt-4o-mini-tts", "voice": "rachel", "input": "hi"}, "voice"),
    ({"model": "gpt-4o-mini-tts", "voice": "coral", "input": "x" * 4097}, "input"),
    ({"model": "tts-1", "voice": "coral", "input": "hi", "instructions": "purr"}, "instructions"),
    ({"model": "gpt-4o-mini-tts", "voice": "coral", "input": "hi", "response_format": "ogg"}, "response_format"),
    ({"model": "gpt-4o-mini-tts", "voice": "coral", "input": "hi", "volume": 3}, "volume"),
    ({"model": "dall-e-2", "voice": "coral", "input": "hi"}, "model"),
])
def test_openai_speech_refusals(http, body, param):
    answer = http.post("/openai/v1/audio/speech", json=body, headers=OPENAI)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param


@pytest.mark.parametrize("data, with_file, param", [
    ({"model": "whisper-1"}, False, "file"),
    ({}, True, "model"),
    ({"model": "whisper-1", "timestamp_granularities[]": "word"}, True, "timestamp_granularities"),
    ({"model": "gpt-4o-transcribe", "response_format": "verbose_json"}, True, "response_format"),
    ({"model": "whisper-1", "response_format": "xml"}, True, "response_format"),
])
def test_transcription_refusals(http, data, with_file, param):
    files = {"file": ("a.mp3", b"not really audio", "audio/mpeg")} if with_file else {"x": ("x", b"1")}
    answer = http.post("/openai/v1/audio/transcriptions", headers=OPENAI, files=files, data=data)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param, answer.text


def test_transcription_of_something_that_is_not_audio(http):
    answer = http.post("/openai/v1/audio/transcriptions", headers=OPENAI,
                       files={"file": ("a.mp3", b"plain text, no sound", "audio/mpeg")}, data={"model": "whisper-1"})
    assert answer.status_code == 400 and "Invalid file format" in answer.text
