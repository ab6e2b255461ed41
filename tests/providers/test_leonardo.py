"""LeonardoClient over HTTP against the stand-in: text to image, image to video with and without
an upload, failures, moderation, downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.leonardo import LeonardoClient


@pytest.fixture
async def leo(settings):
    client = LeonardoClient(settings)
    yield client
    await client.aclose()


def txt2img(media_dir: Path, **params) -> MediaRequest:
    return MediaRequest(action="txt2img", provider="leonardo",
                        params={"prompt": "A corgi napping on a sofa", "width": 576,
                                "height": 1024, "num_images": 2, **params},
                        media_dir=str(media_dir), stem="run1_leo")


def img2vid(media_dir: Path, source: dict, **params) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="leonardo",
                        params={"prompt": "The curtains sway gently", "negative_prompt": "morphing",
                                "motion_strength": 3, **params},
                        source_image=source, media_dir=str(media_dir), stem="run1_vid")


def assert_mp4(path: str) -> None:
    head = Path(path).read_bytes()[:12]
    assert head[4:8] == b"ftyp", f"{path} is not an MP4"


async def test_txt2img_downloads_real_images(leo, media_dir, h):
    submitted, progress, files = await h.run_job(leo, txt2img(media_dir))
    assert submitted.cost is not None and submitted.cost.amount > 0
    assert progress.status == "completed"
    assert len(files) == 2
    for index, f in enumerate(files, start=1):
        assert Path(f.local_path).name.startswith(f"run1_leo_{index}.")
        with Image.open(f.local_path) as img:
            img.load()
            assert img.size == (576, 1024)
        assert f.metadata["leonardo_image_id"] and f.metadata["generation_id"] == \
            submitted.provider_job_id
    assert h.no_part_files(media_dir)


async def test_img2vid_with_upload(leo, settings, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "photo.png", (800, 800))
    before = source.read_bytes()
    request = img2vid(media_dir, {"local_path": str(source), "provider": "openai", "metadata": {}})
    submitted, progress, files = await h.run_job(leo, request)
    assert progress.status == "completed"
    assert h.count(standin, "POST", "/init-image") == 1
    assert h.count(standin, "POST", "/generations-image-to-video") == 1
    # The presigned upload: once, without the Leonardo key, accepted with 204.
    upload = h.last(standin, "POST", "/_bucket/upload")
    assert h.count(standin, "POST", "/_bucket/upload") == 1
    assert "authorization" not in upload.headers and upload.status == 204
    assert "file" in upload.files
    for r in standin.requests:  # the key only ever goes to the API, never to bucket or CDN
        if r.path.startswith(("/_bucket", "/_files")):
            assert "authorization" not in r.headers, r.path
    kinds = {f.kind: f for f in files}
    assert set(kinds) == {"video", "poster"}
    assert_mp4(kinds["video"].local_path)
    assert Path(kinds["video"].local_path).name == "run1_vid.mp4"
    with Image.open(kinds["poster"].local_path) as poster:
        poster.load()
    assert source.read_bytes() == before  # the crop never touches the source
    sent = h.last(standin, "POST", "/generations-image-to-video").json
    assert sent["imageType"] == "UPLOADED" and sent["model"] == "MOTION2"
    assert "subtle" in sent["prompt"].lower()  # motion strength 3, folded into the prompt
    assert "motion strength 3" in kinds["video"].metadata["motion_strength_note"]
    h.assert_no_secret(settings, submitted, files)
    assert sent["negativePrompt"] == "morphing"


async def test_img2vid_from_a_leonardo_image_needs_no_upload(leo, standin, media_dir, h):
    _, _, images = await h.run_job(leo, txt2img(media_dir, num_images=1))
    image = images[0]
    source = {"local_path": image.local_path, "provider": "leonardo", "metadata": image.metadata}
    _, progress, files = await h.run_job(leo, img2vid(media_dir, source))
    assert progress.status == "completed"
    assert h.count(standin, "POST", "/init-image") == 0
    sent = h.last(standin, "POST", "/generations-image-to-video").json
    assert sent["imageType"] == "GENERATED"
    assert sent["imageId"] == image.metadata["leonardo_image_id"]
    assert {f.kind for f in files} == {"video", "poster"}


async def test_motion1_uses_the_svd_endpoint(leo, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "tall.png", (360, 640))
    request = img2vid(media_dir, {"local_path": str(source), "provider": "x", "metadata": {}},
                      model="MOTION1", motion_strength=8)
    _, progress, files = await h.run_job(leo, request)
    assert progress.status == "completed"
    sent = h.last(standin, "POST", "/generations-motion-svd").json
    assert sent["motionStrength"] == 8 and sent["isInitImage"] is True
    assert any(f.kind == "video" for f in files)


async def test_job_failing_at_the_provider(leo, media_dir, h):
    _, progress, files = await h.run_job(leo, txt2img(media_dir, prompt="a cat STANDIN:fail"))
    assert progress.status == "failed" and progress.error.kind == "failed"
    assert files == [] and list(media_dir.iterdir()) == []


async def test_moderation_is_its_own_kind(leo, media_dir):
    with pytest.raises(ProviderError) as info:
        await leo.submit(txt2img(media_dir, prompt="a cat STANDIN:moderation"))
    assert info.value.kind == "moderation" and info.value.status == 403


async def test_rate_limit_carries_retry_after(leo, media_dir):
    with pytest.raises(ProviderError) as info:
        await leo.submit(txt2img(media_dir, prompt="a cat STANDIN:ratelimit"))
    assert info.value.kind == "rate_limit" and info.value.retry_after is not None


async def test_bad_request_carries_leonardos_message(leo, standin, media_dir):
    standin.inject(r"/generations$", 400, body={"error": "num_images must be at most 4 for this "
                                                "model", "path": "$", "code": "validation-failed"})
    with pytest.raises(ProviderError) as info:
        await leo.submit(txt2img(media_dir))
    assert info.value.kind == "bad_request" and "at most 4" in info.value.message


async def test_wrong_key_is_auth(standin, tmp_path, media_dir, h):
    settings = h.make_settings(standin, tmp_path, leonardo_api_key="leo-wrong-999")
    client = LeonardoClient(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(txt2img(media_dir))
    finally:
        await client.aclose()
    assert info.value.kind == "auth" and "LEONARDO_API_KEY" in info.value.message
    assert "leo-wrong-999" not in info.value.message


async def test_truncated_download_is_retried(leo, standin, media_dir, h):
    request = txt2img(media_dir, num_images=1)
    submitted = await leo.submit(request)
    await _wait(leo, submitted.provider_job_id, request)
    standin.inject(r"\.(png|jpg|jpeg|webp)$", 200, truncate=True, times=1, method="GET")
    files = await leo.download(submitted.provider_job_id, request)
    with Image.open(files[0].local_path) as img:
        img.load()
    assert h.no_part_files(media_dir)
    assert standin.count("GET", r"/_files/.*\.(png|jpg|jpeg|webp)$", regex=True) == 2


async def test_download_always_truncated_keeps_nothing(leo, standin, media_dir):
    request = txt2img(media_dir, num_images=1)
    submitted = await leo.submit(request)
    await _wait(leo, submitted.provider_job_id, request)
    standin.inject(r"\.(png|jpg|jpeg|webp)$", 200, truncate=True, times=None, method="GET")
    with pytest.raises(ProviderError) as info:
        await leo.download(submitted.provider_job_id, request)
    assert info.value.kind == "server" and "no file was kept" in info.value.message
    assert list(media_dir.iterdir()) == []


async def _wait(client, job_id, request, timeout=20.0):
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while (progress := await client.poll(job_id, request)).status in ("queued", "running"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert progress.status == "completed"
