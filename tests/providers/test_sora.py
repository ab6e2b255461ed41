"""SoraClient over HTTP against the stand-in's /videos: the reference image fitted to the size,
polling, downloads, refusals before any request, and the "not served" message."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PIL import Image

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.sora import SoraClient


@pytest.fixture
async def sora(settings):
    client = SoraClient(settings)
    yield client
    await client.aclose()


def img2vid(media_dir: Path, source: Path, **params) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="openai",
                        params={"prompt": "The cat's whiskers twitch in the sunlight",
                                "duration": 4, "aspect_ratio": "9:16", "quality": "720p", **params},
                        source_image={"local_path": str(source), "provider": "openai",
                                      "metadata": {}},
                        media_dir=str(media_dir), stem="run1_sora")


async def test_video_from_an_image_of_another_size(sora, settings, standin, media_dir, tmp_path,
                                                    h):
    source = h.make_image(tmp_path / "landscape.png", (640, 480))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the client keeps the SDK quiet
        submitted, progress, files = await h.run_job(sora, img2vid(media_dir, source))
    assert progress.status == "completed"
    assert submitted.cost.unit == "usd" and submitted.cost.amount == pytest.approx(0.4)
    kinds = {f.kind: f for f in files}
    assert set(kinds) == {"video", "poster"}
    video, poster = Path(kinds["video"].local_path), Path(kinds["poster"].local_path)
    assert video.name == "run1_sora.mp4" and video.read_bytes()[4:8] == b"ftyp"
    assert poster.name == "run1_sora_poster.webp"
    with Image.open(poster) as img:
        assert img.format == "WEBP"
    assert kinds["video"].metadata["model"] == "sora-2"
    assert kinds["video"].metadata["size"] == "720x1280"
    with Image.open(source) as img:
        assert img.size == (640, 480)  # the source is untouched
    sent = h.last(standin, "POST", "/videos")
    assert sent.form["size"] == "720x1280" and sent.form["seconds"] == "4"
    assert sent.files["input_reference"]["content_type"] == "image/png"
    h.assert_no_secret(settings, submitted, files)
    assert h.no_part_files(media_dir)


async def test_1080p_switches_to_pro_and_says_so(sora, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (500, 900))
    submitted, progress, files = await h.run_job(
        sora, img2vid(media_dir, source, quality="1080p", duration="8", aspect_ratio="16:9"))
    assert progress.status == "completed"
    assert submitted.cost.amount == pytest.approx(8 * 0.30)
    video = [f for f in files if f.kind == "video"][0]
    assert video.metadata["model"] == "sora-2-pro" and video.metadata["size"] == "1792x1024"
    assert "sora-2-pro" in video.metadata["model_note"]


async def test_square_is_refused_before_any_request(sora, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (500, 500))
    with pytest.raises(ProviderError) as info:
        await sora.submit(img2vid(media_dir, source, aspect_ratio="1:1"))
    assert info.value.kind == "unsupported"
    assert h.count(standin, "POST", "/videos") == 0


async def test_duration_the_api_does_not_have_is_refused(sora, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (500, 500))
    with pytest.raises(ProviderError) as info:
        sora.check(img2vid(media_dir, source, duration="5"))
    assert info.value.kind == "unsupported" and "4, 8 or 12" in info.value.message
    assert h.count(standin, "POST", "/videos") == 0


async def test_unknown_model_gets_the_plain_not_served_message(standin, media_dir, tmp_path, h):
    settings = h.make_settings(standin, tmp_path, sora_model="sora-9-ultra")
    client = SoraClient(settings)
    source = h.make_image(tmp_path / "s.png", (720, 1280))
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(img2vid(media_dir, source))
    finally:
        await client.aclose()
    message = info.value.message
    assert info.value.kind == "not_found"
    assert "is not served at" in message and settings.sora_base_url in message
    assert "2026-09-24" in message and "CCTUI_SORA_BASE_URL" in message and "Leonardo" in message


async def test_job_failing_at_the_provider(sora, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (720, 1280))
    _, progress, files = await h.run_job(sora, img2vid(media_dir, source,
                                                       prompt="a cat STANDIN:fail"))
    assert progress.status == "failed" and progress.error.kind == "failed"
    assert files == []


async def test_moderation_at_the_provider(sora, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (720, 1280))
    _, progress, _ = await h.run_job(sora, img2vid(media_dir, source,
                                                   prompt="a cat STANDIN:moderation"))
    assert progress.status == "failed" and progress.error.kind == "moderation"


async def test_poll_after_is_passed_on(sora, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (720, 1280))
    request = img2vid(media_dir, source)
    submitted = await sora.submit(request)
    progress = await sora.poll(submitted.provider_job_id, request)
    assert progress.status in ("queued", "running")
    assert progress.poll_after is not None and progress.poll_after > 0


async def test_truncated_video_download_is_retried(sora, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "s.png", (720, 1280))
    request = img2vid(media_dir, source)
    submitted, progress, _ = await h.run_job(sora, request)
    for f in media_dir.iterdir():
        f.unlink()
    standin.inject(r"/videos/[^/]+/content$", 200, truncate=True, times=1, method="GET")
    files = await sora.download(submitted.provider_job_id, request)
    assert Path([f for f in files if f.kind == "video"][0].local_path).read_bytes()[4:8] == b"ftyp"
    assert h.no_part_files(media_dir)
    downloads = [r.query for r in standin.requests if r.path.endswith("/content")]
    assert downloads[-3:] == ["variant=video", "variant=video", "variant=thumbnail"]
