"""OpenAI image generation and the Sora 2 Videos API on the stand-in."""

from __future__ import annotations

import base64
import io
import warnings

import imageio_ffmpeg
import pytest
from openai import BadRequestError, NotFoundError, OpenAI
from PIL import Image

VIDEOS = "/openai/v1/videos"


def gen(http, sh, **body):
    payload = {"model": "gpt-image-1", "prompt": "A sleepy cat on a sunny windowsill", **body}
    return http.post("/openai/v1/images/generations", json=payload, headers=sh.openai)


def test_images_are_real_pngs_of_the_requested_size(http, sh):
    r = gen(http, sh, size="1536x1024", n=2, quality="low")
    assert r.status_code == 200
    data = r.json()
    assert data["size"] == "1536x1024" and data["usage"]["output_tokens"] > 0
    pictures = [base64.b64decode(d["b64_json"]) for d in data["data"]]
    assert len(pictures) == 2 and pictures[0] != pictures[1], "each image index differs"
    for raw in pictures:
        with Image.open(io.BytesIO(raw)) as img:
            assert img.format == "PNG" and img.size == (1536, 1024)


@pytest.mark.parametrize("body, param, code", [
    ({"response_format": "b64_json"}, "response_format", "unknown_parameter"),
    ({"size": "512x512"}, "size", "invalid_value"),
    ({"size": "1792x1024"}, "size", "invalid_value"),
    ({"n": 11}, "n", None),
    ({"n": 0}, "n", None),
    ({"model": None}, "model", "missing_required_parameter"),
])
def test_image_requests_the_api_refuses(http, sh, body, param, code):
    r = gen(http, sh, **body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param
    if code:
        assert error["code"] == code


def test_image_moderation_marker(http, sh):
    r = gen(http, sh, prompt="a cat STANDIN:moderation")
    assert r.status_code == 400 and r.json()["error"]["code"] == "moderation_blocked"


def create(http, sh, size="720x1280", seconds="4", model="sora-2", ref_size=(720, 1280), prompt="A cat naps"):
    """POST /videos as multipart/form-data (always multipart, like the SDK, even without a file)."""
    parts = [(name, (None, value)) for name, value in
             {"model": model, "prompt": prompt, "seconds": seconds, "size": size}.items()]
    if ref_size:
        parts.append(("input_reference", ("ref.png", sh.image_bytes(ref_size), "image/png")))
    return http.post(VIDEOS, files=parts, headers=sh.openai)


def test_reference_image_must_match_the_size(http, sh):
    r = create(http, sh, ref_size=(600, 900))
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Inpaint image must match the requested width and height"
    assert create(http, sh, ref_size=(720, 1280)).status_code == 200


@pytest.mark.parametrize("kwargs, status, param", [
    ({"seconds": "5"}, 400, "seconds"),
    ({"seconds": "10"}, 400, "seconds"),
    ({"size": "1024x1024", "ref_size": None}, 400, "size"),
    ({"size": "1024x1792", "ref_size": None}, 400, "size"),  # a sora-2-pro size
    ({"model": "sora-3", "ref_size": None}, 404, None),
])
def test_video_requests_the_api_refuses(http, sh, kwargs, status, param):
    r = create(http, sh, **kwargs)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["param"] == param
    if status == 404:
        assert error["code"] == "model_not_found" and "sora-3" in error["message"]


def test_pro_sizes_and_json_bodies(http, sh):
    assert create(http, sh, model="sora-2-pro", size="1024x1792", ref_size=(1024, 1792)).status_code == 200
    r = http.post(VIDEOS, json={"model": "sora-2", "prompt": "x", "seconds": 4}, headers=sh.openai)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_type", "seconds must be a string"
    ref = "data:image/png;base64," + base64.b64encode(sh.image_bytes((1280, 720))).decode()
    r = http.post(VIDEOS, json={"model": "sora-2", "prompt": "x", "size": "1280x720",
                                "input_reference": {"image_url": ref}}, headers=sh.openai)
    assert r.status_code == 200
    r = create(http, sh, ref_size=None)
    assert r.status_code == 200, "no reference image is fine"
    bad = http.post(VIDEOS, files=[("model", (None, "sora-2")), ("prompt", (None, "x")), ("size", (None, "720x1280")),
                                   ("input_reference", ("r.png", b"not an image", "image/png"))], headers=sh.openai)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "input_reference"


def test_job_progresses_and_serves_a_real_mp4(http, sh, tmp_path):
    r = create(http, sh)
    video = r.json()
    assert video["status"] == "queued" and video["progress"] == 0 and video["object"] == "video"
    assert video["seconds"] == "4" and video["size"] == "720x1280"
    assert int(r.headers["openai-poll-after-ms"]) > 0
    early = http.get(f"{VIDEOS}/{video['id']}/content", headers=sh.openai)
    assert early.status_code == 404
    seen = set()

    def fetch():
        answer = http.get(f"{VIDEOS}/{video['id']}", headers=sh.openai)
        assert answer.headers["openai-poll-after-ms"]
        seen.add((answer.json()["status"]))
        return answer.json()

    done = sh.wait_until(fetch, lambda v: v["status"] == "completed")
    assert done["progress"] == 100 and done["completed_at"] and done["error"] is None
    assert "in_progress" in seen
    mp4 = http.get(f"{VIDEOS}/{video['id']}/content", params={"variant": "video"}, headers=sh.openai)
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    assert mp4.content[4:8] == b"ftyp"
    path = tmp_path / "out.mp4"
    path.write_bytes(mp4.content)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames > 1 and seconds > 0.5
    again = http.get(f"{VIDEOS}/{video['id']}/content", headers=sh.openai)
    assert again.content == mp4.content, "cached"
    thumb = http.get(f"{VIDEOS}/{video['id']}/content", params={"variant": "thumbnail"}, headers=sh.openai)
    with Image.open(io.BytesIO(thumb.content)) as img:
        assert img.format == "WEBP" and img.size[0] * 1280 == img.size[1] * 720
    sprites = http.get(f"{VIDEOS}/{video['id']}/content", params={"variant": "spritesheet"}, headers=sh.openai)
    assert Image.open(io.BytesIO(sprites.content)).format == "JPEG"
    assert http.get(f"{VIDEOS}/{video['id']}/content", params={"variant": "gif"},
                    headers=sh.openai).status_code == 400
    assert http.get(f"{VIDEOS}/video_nope", headers=sh.openai).status_code == 404


@pytest.mark.parametrize("marker, code", [("STANDIN:fail", "video_generation_failed"),
                                          ("STANDIN:moderation", "moderation_blocked")])
def test_failing_jobs_end_failed_with_an_error(http, sh, marker, code):
    video = create(http, sh, prompt=f"A cat {marker}").json()
    done = sh.wait_until(lambda: http.get(f"{VIDEOS}/{video['id']}", headers=sh.openai).json(),
                         lambda v: v["status"] in ("completed", "failed"))
    assert done["status"] == "failed" and done["error"]["code"] == code
    assert http.get(f"{VIDEOS}/{video['id']}/content", headers=sh.openai).status_code == 404


def test_the_official_sdk_drives_a_video_to_the_end(standin, sh):
    client = OpenAI(base_url=standin.base_urls["sora"], api_key="sk-test", max_retries=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        video = client.videos.create(model="sora-2", prompt="A dog dozes", seconds="8", size="1280x720",
                                     input_reference=("ref.jpg", sh.image_bytes((1280, 720), "JPEG"), "image/jpeg"))
        assert video.status == "queued"
        video = sh.wait_until(lambda: client.videos.retrieve(video.id).model_dump(),
                              lambda v: v["status"] == "completed")
        content = client.videos.download_content(video["id"], variant="video").read()
        assert content[4:8] == b"ftyp"
        with pytest.raises(BadRequestError):
            client.videos.create(model="sora-2", prompt="x", seconds="12", size="1280x720",
                                 input_reference=("r.png", sh.image_bytes((720, 1280)), "image/png"))
        with pytest.raises(NotFoundError):
            client.videos.create(model="sora-1", prompt="x")
