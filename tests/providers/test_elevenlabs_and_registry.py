"""ElevenLabs music and the provider registry's key check, against the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.elevenlabs import ElevenLabsMusic
from cctui.providers.registry import Providers


def music(media_dir: Path, **params) -> MediaRequest:
    return MediaRequest(action="txt2music", provider="elevenlabs",
                        params={"prompt": "gentle lo-fi piano for a sleepy cat video",
                                "music_length_ms": 5000, "force_instrumental": True, **params},
                        media_dir=str(media_dir), stem="run1_music")


async def test_music_is_written_by_submit(settings, media_dir, h):
    client = ElevenLabsMusic(settings)
    try:
        submitted, progress, files = await h.run_job(client, music(media_dir))
    finally:
        await client.aclose()
    assert progress.status == "completed"
    song = Path(submitted.files[0].local_path)
    assert song.name == "run1_music.mp3" and song.stat().st_size > 0
    head = song.read_bytes()[:3]
    assert head == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    assert [f.local_path for f in files] == [str(song)]


async def test_music_length_is_checked_before_any_request(settings, standin, media_dir, h):
    client = ElevenLabsMusic(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(music(media_dir, music_length_ms=1000))
    finally:
        await client.aclose()
    assert info.value.kind == "bad_request"
    assert h.count(standin, "POST", "/v1/music") == 0


async def test_music_wrong_key(standin, tmp_path, media_dir, h):
    settings = h.make_settings(standin, tmp_path, elevenlabs_api_key="el-wrong-777")
    client = ElevenLabsMusic(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(music(media_dir))
    finally:
        await client.aclose()
    assert info.value.kind == "auth" and "el-wrong-777" not in info.value.message
    assert list(media_dir.iterdir()) == []


@pytest.mark.parametrize("marker, kind, words", [
    ("quota", "quota", "out of credits"),
    ("bad_prompt", "moderation", "Suggested prompt"),
    ("ratelimit", "rate_limit", "429"),
])
async def test_music_error_kinds(settings, media_dir, h, marker, kind, words):
    client = ElevenLabsMusic(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(music(media_dir, prompt=f"a song STANDIN:{marker}"))
    finally:
        await client.aclose()
    assert info.value.kind == kind and words in info.value.message
    if kind == "rate_limit":
        assert info.value.retry_after is not None
    h.assert_no_secret(settings, info.value.message)
    assert list(media_dir.iterdir()) == []


async def test_music_server_error(settings, standin, media_dir):
    client = ElevenLabsMusic(settings)
    standin.inject("/v1/music", 500, times=1)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(music(media_dir))
    finally:
        await client.aclose()
    assert info.value.kind == "server" and info.value.retryable
    assert list(media_dir.iterdir()) == []


async def test_check_keys(standin, tmp_path, h):
    providers = Providers(h.make_settings(standin, tmp_path))
    assert await providers.check_keys() == {"openai": "configured", "leonardo": "configured",
                                            "elevenlabs": "configured", "sora": "configured",
                                            "fal": "configured"}
    bad = Providers(h.make_settings(standin, tmp_path, leonardo_api_key="nope",
                                    elevenlabs_api_key=None,
                                    openai_base_url="http://127.0.0.1:9/v1"))
    states = await bad.check_keys()
    assert states["leonardo"] == "rejected"
    assert states["elevenlabs"] == "missing"
    assert states["openai"] == "unreachable"
    assert states["sora"] == "configured"  # its own base URL, the OpenAI key


async def test_registry_hands_out_working_clients(standin, tmp_path, media_dir, h):
    providers = Providers(h.make_settings(standin, tmp_path))
    try:
        images = providers.media("openai", "txt2img")
        assert providers.media("openai", "txt2img") is images  # made once, shared
        request = MediaRequest("txt2img", "openai", {"prompt": "a cat"}, media_dir=str(media_dir),
                               stem="reg")
        submitted = await images.submit(request)
        assert len(submitted.files) == 1
    finally:
        await providers.aclose()
