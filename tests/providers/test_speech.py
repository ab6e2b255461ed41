"""The two voice clients over HTTP against the stand-in: ElevenLabs (character alignment) and
OpenAI (speech, then a transcription for the timing, estimated when that fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctui.media.probe import probe
from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.elevenlabs_speech import VOICES, ElevenLabsSpeech
from cctui.providers.openai_speech import OpenAISpeech
from cctui.providers.registry import MEDIA_ROUTES, Providers
from cctui.standin.speech_synth import plan

TEXT = "I am a calm cat. This sunny sofa is mine, and so are you!"


def narration(provider: str, media_dir: Path, **params) -> MediaRequest:
    return MediaRequest(action="txt2speech", provider=provider, params={"text": TEXT, **params},
                        media_dir=str(media_dir), stem=f"run1_voice_{provider}")


async def refused(client_class, settings, request: MediaRequest) -> ProviderError:
    """The error the client's submit raises (the test fails if it raises none)."""
    client = client_class(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(request)
    finally:
        await client.aclose()
    return info.value


def assert_words_inside(words, duration):
    assert words
    for a, b in zip(words, words[1:]):
        assert a["end"] <= b["start"]
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)


async def test_elevenlabs_narration_has_mp3_and_aligned_words(settings, standin, media_dir, h):
    client = ElevenLabsSpeech(settings)
    try:
        submitted, progress, files = await h.run_job(client, narration(
            "elevenlabs", media_dir, voice="21m00Tcm4TlvDq8ikWAM", stability=0.4, similarity_boost=0.8))
    finally:
        await client.aclose()
    audio = submitted.files[0]
    path = Path(audio.local_path)
    assert path.name == "run1_voice_elevenlabs.mp3" and audio.mime == "audio/mpeg"
    duration = probe(path).duration
    meta = audio.metadata
    assert meta["timing_source"] == "alignment" and meta["voice"] == "21m00Tcm4TlvDq8ikWAM"
    assert meta["model"] == "eleven_multilingual_v2" and meta["characters"] == len(TEXT)
    assert [w["text"] for w in meta["words"]] == TEXT.split()
    assert_words_inside(meta["words"], duration)
    sent = h.last(standin, "POST", "/with-timestamps")
    assert sent.query == "output_format=mp3_44100_128"
    assert sent.json == {"text": TEXT, "model_id": "eleven_multilingual_v2",
                         "voice_settings": {"stability": 0.4, "similarity_boost": 0.8}}
    # The words are where the stand-in put the sound of each one.
    truth = plan(TEXT).words
    assert [(w["start"], w["end"]) for w in meta["words"]] == [(t["start"], t["end"]) for t in truth]
    assert submitted.cost.amount == pytest.approx(len(TEXT) * 0.10 / 1000) and submitted.cost.per == "character"
    assert submitted.provider_job_id == meta["request_id"]
    assert progress.status == "completed" and files[0].metadata["words"] == meta["words"]  # found again on disk
    h.assert_no_secret(settings, meta, path.with_suffix(".words.json").read_text())


REFUSED = [
    (ElevenLabsSpeech, "/with-timestamps", {"text": "   "}, "empty"),
    (ElevenLabsSpeech, "/with-timestamps", {"text": "x" * 10_001}, "10,000"),
    (ElevenLabsSpeech, "/with-timestamps", {"voice": "NoSuchVoice123"}, "no voice"),
    (ElevenLabsSpeech, "/with-timestamps", {"model": "eleven_monolingual_v0"}, "cannot use the model"),
    (ElevenLabsSpeech, "/with-timestamps", {"stability": 2}, "0 to 1"),
    (OpenAISpeech, "/audio/speech", {"text": "y" * 4097}, "4,096"),
    (OpenAISpeech, "/audio/speech", {"voice": "Rachel"}, "no voice"),
    (OpenAISpeech, "/audio/speech", {"model": "tts-1", "instructions": "purr"}, "instructions"),
    (OpenAISpeech, "/audio/speech", {"model": "gpt-9-tts"}, "cannot use the model"),
]


@pytest.mark.parametrize("client_class, paid_path, params, words", REFUSED)
async def test_refusals_send_nothing(settings, standin, media_dir, h, client_class, paid_path, params, words):
    error = await refused(client_class, settings, narration(client_class.name, media_dir, **params))
    assert words in error.message
    assert h.count(standin, "POST", paid_path) == 0 and list(media_dir.iterdir()) == []


async def test_missing_media_folder_is_refused(settings):
    client = ElevenLabsSpeech(settings)
    try:
        with pytest.raises(ProviderError, match="media folder"):
            client.check(MediaRequest("txt2speech", "elevenlabs", {"text": TEXT}))
    finally:
        await client.aclose()


async def test_elevenlabs_wrong_key_and_voice_refused_by_the_service(standin, tmp_path, media_dir, h, monkeypatch):
    settings = h.make_settings(standin, tmp_path, elevenlabs_api_key="el-wrong-777")
    error = await refused(ElevenLabsSpeech, settings, narration("elevenlabs", media_dir))
    assert error.kind == "auth" and "el-wrong-777" not in error.message
    # A voice the form offers that the account lacks: the service's 404 voice_not_found.
    monkeypatch.setitem(VOICES, "RetiredVoice0000", "Retired")
    error = await refused(ElevenLabsSpeech, h.make_settings(standin, tmp_path),
                          narration("elevenlabs", media_dir, voice="RetiredVoice0000"))
    assert error.kind == "not_found" and error.status == 404
    assert list(media_dir.iterdir()) == []


async def test_openai_narration_words_come_from_the_transcription(settings, standin, media_dir, h):
    client = OpenAISpeech(settings)
    try:
        submitted, _, _ = await h.run_job(client, narration("openai", media_dir, voice="sage",
                                                            instructions="Speak as a calm, content cat"))
    finally:
        await client.aclose()
    audio = submitted.files[0]
    meta = audio.metadata
    duration = probe(audio.local_path).duration
    assert meta["timing_source"] == "transcription" and meta["voice"] == "sage"
    assert [w["text"] for w in meta["words"]] == TEXT.split()
    assert_words_inside(meta["words"], duration)
    speech = h.last(standin, "POST", "/audio/speech").json
    assert speech == {"model": "gpt-4o-mini-tts", "voice": "sage", "input": TEXT, "response_format": "mp3",
                      "instructions": "Speak as a calm, content cat"}
    assert h.count(standin, "POST", "/audio/transcriptions") == 1
    heard = str(h.last(standin, "POST", "/audio/transcriptions").to_json())
    assert "whisper-1" in heard and "verbose_json" in heard and "word" in heard
    # gpt-4o-mini-tts at $0.015/min plus whisper-1 at $0.006/min of the audio.
    assert submitted.cost.amount == pytest.approx(meta["duration"] * (0.015 + 0.006) / 60, abs=1e-6)
    h.assert_no_secret(settings, meta)


async def test_a_failing_transcription_keeps_the_audio_and_estimates(settings, standin, media_dir, h):
    standin.inject(r"/audio/transcriptions$", 500, times=10)
    client = OpenAISpeech(settings)
    try:
        submitted, progress, files = await h.run_job(client, narration("openai", media_dir))
    finally:
        standin.clear_faults()
        await client.aclose()
    meta = submitted.files[0].metadata
    path = Path(submitted.files[0].local_path)
    assert path.is_file() and probe(path).duration == pytest.approx(meta["duration"], abs=0.05)
    assert meta["timing_source"] == "estimated" and "estimated" in meta["note"]
    assert [w["text"] for w in meta["words"]] == TEXT.split()
    assert_words_inside(meta["words"], meta["duration"])
    assert h.count(standin, "POST", "/audio/speech") == 1  # the paid speech was never sent again
    assert progress.status == "completed" and files[0].metadata["timing_source"] == "estimated"
    h.assert_no_secret(settings, meta["note"])


async def test_openai_speech_refused_is_not_retried_and_keeps_no_key(standin, tmp_path, media_dir, h):
    settings = h.make_settings(standin, tmp_path, openai_api_key="sk-wrong-4242")
    error = await refused(OpenAISpeech, settings, narration("openai", media_dir))
    assert error.kind == "auth"
    h.assert_no_secret(settings, error.message)
    assert h.count(standin, "POST", "/audio/speech") == 1 and list(media_dir.iterdir()) == []


async def test_registry_routes_speech(settings):
    assert MEDIA_ROUTES[("elevenlabs", "txt2speech")] and MEDIA_ROUTES[("openai", "txt2speech")]
    providers = Providers(settings)
    try:
        assert isinstance(providers.media("elevenlabs", "txt2speech"), ElevenLabsSpeech)
        assert isinstance(providers.media("openai", "txt2speech"), OpenAISpeech)
    finally:
        await providers.aclose()
