"""FalClient over HTTP against the stand-in's fal queue: a real MP4 on the CDN path without the
key, the price per second, refusals before any request, key and server errors, failed runs,
422 messages and a lost submit found again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.fal import FalClient

KLING = "fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
SUBMIT = "/fal/" + KLING


@pytest.fixture
async def fal(settings):
    client = FalClient(settings)
    yield client
    await client.aclose()


def img2vid(media_dir: Path, source: Path | None, **params) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="fal",
                        params={"model": KLING, "prompt": "The dog tilts its head at the camera",
                                "duration": 5, "aspect_ratio": "9:16", **params},
                        source_image={"local_path": str(source)} if source else None,
                        media_dir=str(media_dir), stem="run1_fal")


async def test_a_job_completes_with_a_real_mp4_fetched_without_the_key(fal, settings, standin, media_dir,
                                                                       tmp_path, h):
    source = h.make_image(tmp_path / "dog.png", (640, 480))
    submitted, progress, files = await h.run_job(fal, img2vid(media_dir, source, duration="10"))
    assert progress.status == "completed"
    assert submitted.cost.unit == "usd" and submitted.cost.amount == pytest.approx(10 * 0.07)
    [video] = files
    assert video.kind == "video" and video.mime == "video/mp4"
    path = Path(video.local_path)
    assert path.name == "run1_fal.mp4" and path.read_bytes()[4:8] == b"ftyp"
    assert video.metadata["model"] == KLING and video.metadata["request_id"] == submitted.provider_job_id
    sent = h.last(standin, "POST", SUBMIT)
    assert sent.headers["authorization"] == "<redacted>"
    assert sent.json["duration"] == "10" and "aspect_ratio" not in sent.json
    assert sent.json["image_url"].startswith("data:image/")
    cdn = [r for r in standin.requests if r.path.startswith("/_fal_media/")]
    assert cdn and all("authorization" not in r.headers for r in cdn)
    h.assert_no_secret(settings, submitted, files)
    assert h.no_part_files(media_dir)


async def test_wan_gets_frames_and_is_priced_by_resolution(fal, standin, media_dir, tmp_path, h):
    source = h.make_image(tmp_path / "cat.png", (500, 900))
    request = img2vid(media_dir, source, model="fal-ai/wan/v2.2-a14b/image-to-video", duration=5,
                      resolution="480p", seed=7)
    submitted, progress, _ = await h.run_job(fal, request)
    assert progress.status == "completed"
    assert submitted.cost.amount == pytest.approx(5 * 0.04)
    sent = h.last(standin, "POST", "/fal/fal-ai/wan/v2.2-a14b/image-to-video").json
    assert (sent["num_frames"], sent["frames_per_second"], sent["resolution"], sent["seed"]) == (81, 16, "480p", 7)


@pytest.mark.parametrize("params, words", [
    ({"model": "fal-ai/nope/image-to-video"}, "choose one of"),
    ({"duration": 7}, "5, 10 seconds"),
    ({"aspect_ratio": "4:3"}, "9:16, 16:9, 1:1"),
    ({"resolution": "1080p"}, "takes no resolution"),
    ({"model": "fal-ai/veo3/fast/image-to-video", "duration": 5}, "4, 6, 8 seconds"),
])
async def test_refusals_before_any_request(fal, standin, media_dir, tmp_path, h, params, words):
    source = h.make_image(tmp_path / "s.png", (300, 300))
    with pytest.raises(ProviderError) as info:
        await fal.submit(img2vid(media_dir, source, **params))
    assert info.value.kind == "unsupported" and words in info.value.message
    assert standin.count("POST", r"^/fal/", regex=True) == 0


async def test_no_source_or_prompt_is_refused_before_any_request(fal, standin, media_dir, tmp_path, h):
    for request in (img2vid(media_dir, None), img2vid(media_dir, tmp_path / "missing.png"),
                    img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)), prompt="  ")):
        with pytest.raises(ProviderError) as info:
            fal.check(request)
        assert info.value.kind == "bad_request"
    assert standin.count("*", r"^/fal/", regex=True) == 0


async def test_a_wrong_key_is_auth_naming_fal_key(standin, media_dir, tmp_path, h):
    settings = h.make_settings(standin, tmp_path, fal_api_key="wrong-key-123")
    client = FalClient(settings)
    try:
        with pytest.raises(ProviderError) as info:
            await client.submit(img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64))))
    finally:
        await client.aclose()
    assert info.value.kind == "auth" and info.value.status == 401 and "FAL_KEY" in info.value.message
    h.assert_no_secret(settings, info.value.message)


def test_no_key_is_not_configured(standin, tmp_path, h):
    with pytest.raises(ProviderError) as info:
        FalClient(h.make_settings(standin, tmp_path, fal_api_key=None))
    assert info.value.kind == "auth" and "FAL_KEY" in info.value.message


async def test_a_500_while_polling_is_transient(fal, standin, media_dir, tmp_path, h):
    request = img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)))
    submitted = await fal.submit(request)
    standin.inject(r"/requests/[^/]+/status$", 500, method="GET")
    with pytest.raises(ProviderError) as info:
        await fal.poll(submitted.provider_job_id, request)
    assert info.value.kind == "server" and info.value.retryable


async def test_a_failed_run_is_failed_with_the_reason(fal, media_dir, tmp_path, h):
    request = img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)), prompt="a dog STANDIN:fail")
    _, progress, files = await h.run_job(fal, request)
    assert progress.status == "failed" and progress.error.kind == "failed"
    assert "could not animate" in progress.error.message and files == []


@pytest.mark.parametrize("marker, kind", [("STANDIN:500", "server"), ("STANDIN:ratelimit", "rate_limit")])
async def test_submit_markers(fal, media_dir, tmp_path, h, marker, kind):
    with pytest.raises(ProviderError) as info:
        await fal.submit(img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)), prompt=f"a dog {marker}"))
    assert info.value.kind == kind


async def test_a_422_names_the_field(fal, standin, media_dir, tmp_path, h):
    standin.inject(r"^/fal/fal-ai/", 422, method="POST", body={"detail": [
        {"loc": ["body", "duration"], "msg": "unexpected value; permitted: '5', '10'", "type": "literal_error"}]})
    with pytest.raises(ProviderError) as info:
        await fal.submit(img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64))))
    assert info.value.kind == "bad_request" and "duration: unexpected value" in info.value.message


async def test_a_lost_submit_is_found_in_the_platform_list(fal, standin, media_dir, tmp_path, h):
    request = img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)))
    since = time.time()
    other = await fal.submit(img2vid(media_dir, h.make_image(tmp_path / "t.png", (64, 64)), prompt="another"))
    lost = await fal.submit(request)
    assert await fal.find_submitted(request, since, set()) == lost.provider_job_id
    assert await fal.find_submitted(request, since, {lost.provider_job_id}) is None
    assert other.provider_job_id != lost.provider_job_id


async def test_a_result_without_a_video_says_what_it_holds(fal, standin, media_dir, tmp_path, h):
    request = img2vid(media_dir, h.make_image(tmp_path / "s.png", (64, 64)))
    submitted = await fal.submit(request)
    standin.inject(r"/requests/[0-9a-f-]+$", 200, method="GET", body={"images": [], "seed": 1})
    with pytest.raises(ProviderError) as info:
        await fal.download(submitted.provider_job_id, request)
    assert "images, seed" in info.value.message and list(media_dir.iterdir()) == []
