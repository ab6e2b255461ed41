"""Leonardo stand-in: presigned init-image upload, text-to-image, image-to-video, polling, files."""

from __future__ import annotations

import io
import json
import time

import pytest
from PIL import Image

from cctui.standin import StandIn

API = "/leonardo/api/rest/v1"


def init_image(http, sh, extension="png"):
    r = http.post(f"{API}/init-image", json={"extension": extension}, headers=sh.leonardo)
    return r


def form_for(answer: dict) -> tuple[str, dict[str, str]]:
    upload = answer["uploadInitImage"]
    assert isinstance(upload["fields"], str), "fields is a JSON string, as Leonardo sends it"
    return upload["url"], json.loads(upload["fields"])


def upload(http, url, fields, data, headers=None):
    files = {"file": ("image.png", data, "image/png")}
    return http.post(url, data=fields, files=files, headers=headers or {})


def uploaded_image(http, sh, size=(576, 1024)) -> str:
    answer = init_image(http, sh).json()
    url, fields = form_for(answer)
    assert upload(http, url, fields, sh.image_bytes(size)).status_code == 204
    return answer["uploadInitImage"]["id"]


def test_auth_is_required(http, sh):
    r = http.post(f"{API}/init-image", json={"extension": "png"}, headers={"authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["code"] == "access-denied" and "error" in r.json()
    assert http.get(f"{API}/me").status_code == 401


def test_me_is_a_cheap_key_check(http, sh):
    details = http.get(f"{API}/me", headers=sh.leonardo).json()["user_details"][0]
    assert details["user"]["id"] and details["apiCreditBalance"] > 0


def test_init_image_extension_is_checked(http, sh):
    r = init_image(http, sh, "gif")
    assert r.status_code == 400 and r.json()["code"] == "validation-failed"
    for ext in ("png", "jpg", "jpeg", "webp"):
        assert init_image(http, sh, ext).status_code == 200


def test_presigned_upload_accepts_the_form_and_refuses_what_s3_refuses(http, sh):
    answer = init_image(http, sh).json()
    url, fields = form_for(answer)
    assert url.endswith("/_bucket/upload") and "/leonardo/" not in url
    image = sh.image_bytes()
    with_auth = upload(http, url, fields, image, sh.leonardo)
    assert with_auth.status_code == 403 and b"<Error>" in with_auth.content
    missing = dict(fields)
    del missing["X-Amz-Signature"]
    assert upload(http, url, missing, image).status_code == 403
    altered = dict(fields, key=fields["key"].replace(".png", "-other.png"))
    assert upload(http, url, altered, image).status_code == 403
    tampered = dict(fields, **{"Content-Type": "image/webp"})
    assert upload(http, url, tampered, image).status_code == 403
    extra = dict(fields, acl="public-read")
    assert upload(http, url, extra, image).status_code == 403
    assert upload(http, url, fields, b"GIF89a not really").status_code == 403
    assert http.post(url, data=fields).status_code == 400, "a form without the file"
    ok = upload(http, url, fields, image)
    assert ok.status_code == 204 and ok.content == b""


def test_fields_after_the_file_are_ignored_like_s3(http, sh):
    url, fields = form_for(init_image(http, sh).json())
    boundary = "standinboundary"
    parts = []
    items = list(fields.items())
    for name, value in items[:-1]:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                 f'Content-Type: image/png\r\n\r\n'.encode() + sh.image_bytes() + b"\r\n")
    name, value = items[-1]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    r = http.post(url, content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 403


def test_an_expired_form_is_refused(tmp_path, sh):
    import httpx

    with StandIn(keys=sh.keys, job_seconds=0.2, data_dir=tmp_path / "s", upload_expiry_seconds=0.3) as srv:
        with httpx.Client(base_url=srv.base_url) as http:
            url, fields = form_for(init_image(http, sh).json())
            time.sleep(0.5)
            r = upload(http, url, fields, sh.image_bytes())
            assert r.status_code == 403 and b"Policy expired" in r.content


def poll(http, sh, generation_id):
    return http.get(f"{API}/generations/{generation_id}", headers=sh.leonardo).json()["generations_by_pk"]


def test_text_to_image_validation_and_moderation(http, sh):
    for body in ({"prompt": "cat", "width": 1020, "height": 1024},  # 1020 is not a multiple of 8
                 {"prompt": "cat", "width": 1600, "height": 1024},
                 {"prompt": "cat", "width": 16, "height": 1024},
                 {"prompt": "cat", "num_images": 9},
                 {"prompt": "cat", "num_images": 0},
                 {"width": 512, "height": 512}):
        r = http.post(f"{API}/generations", json=body, headers=sh.leonardo)
        assert r.status_code == 400, body
        assert set(r.json()) >= {"error", "path", "code"} and r.json()["code"] == "validation-failed"
    r = http.post(f"{API}/generations", json={"prompt": "cat STANDIN:moderation"}, headers=sh.leonardo)
    assert r.status_code == 403 and "content moderation filter" in r.json()["error"]


def test_text_to_image_job_then_image_to_video_from_a_generated_image(http, sh):
    r = http.post(f"{API}/generations", headers=sh.leonardo,
                  json={"prompt": "A sleepy cat", "width": 576, "height": 1024, "num_images": 2})
    job = r.json()["sdGenerationJob"]
    assert job["apiCreditCost"] > 0 and job["cost"]["unit"] == "credits"
    first = poll(http, sh, job["generationId"])
    assert first["status"] == "PENDING" and first["generated_images"] == []
    done = sh.wait_until(lambda: poll(http, sh, job["generationId"]), lambda g: g["status"] == "COMPLETE")
    images = done["generated_images"]
    assert len(images) == 2 and all(i["nsfw"] is False and i["motionMP4URL"] is None for i in images)
    png = http.get(images[0]["url"])
    with Image.open(io.BytesIO(png.content)) as img:
        assert img.format == "PNG" and img.size == (576, 1024)

    as_generation = http.post(f"{API}/generations-image-to-video", headers=sh.leonardo,
                              json={"imageId": job["generationId"], "imageType": "GENERATED", "prompt": "sway"})
    assert as_generation.status_code == 400 and "generation id" in as_generation.json()["error"]
    as_upload = http.post(f"{API}/generations-image-to-video", headers=sh.leonardo,
                          json={"imageId": images[0]["id"], "imageType": "UPLOADED", "prompt": "sway"})
    assert as_upload.status_code == 400

    r = http.post(f"{API}/generations-image-to-video", headers=sh.leonardo,
                  json={"imageId": images[0]["id"], "imageType": "GENERATED", "prompt": "curtains sway"})
    video_job = r.json()["motionVideoGenerationJob"]
    video = sh.wait_until(lambda: poll(http, sh, video_job["generationId"]), lambda g: g["status"] == "COMPLETE")
    item = video["generated_images"][0]
    mp4 = http.get(item["motionMP4URL"])
    assert mp4.status_code == 200 and mp4.content[4:8] == b"ftyp"
    with Image.open(io.BytesIO(http.get(item["url"]).content)) as poster:
        assert poster.format == "PNG" and abs(poster.size[0] / poster.size[1] - 576 / 1024) < 0.02


def test_image_to_video_from_an_uploaded_image_and_model_rules(http, sh):
    image_id = uploaded_image(http, sh)
    not_uploaded = init_image(http, sh).json()["uploadInitImage"]["id"]
    base = {"imageId": image_id, "imageType": "UPLOADED", "prompt": "dust motes drift"}
    costs = {}
    for model in ("MOTION2", "VEO3"):
        r = http.post(f"{API}/generations-image-to-video", json={**base, "model": model}, headers=sh.leonardo)
        assert r.status_code == 200, r.text
        costs[model] = r.json()["motionVideoGenerationJob"]["apiCreditCost"]
    assert costs["VEO3"] > costs["MOTION2"]
    for bad in ({"model": "MOTION9"}, {"imageType": "REMOTE"}, {"resolution": "RESOLUTION_4K"},
                {"imageId": not_uploaded}, {"imageId": "00000000-0000-0000-0000-000000000000"},
                {"prompt": None}, {"imageType": "GENERATED"}):
        r = http.post(f"{API}/generations-image-to-video", json={**base, **bad}, headers=sh.leonardo)
        assert r.status_code == 400, bad
    svd = http.post(f"{API}/generations-motion-svd", headers=sh.leonardo,
                    json={"imageId": image_id, "isInitImage": True, "motionStrength": 5})
    assert "generationId" in svd.json()["motionSvdGenerationJob"]
    weak = http.post(f"{API}/generations-motion-svd", headers=sh.leonardo,
                     json={"imageId": image_id, "isInitImage": True, "motionStrength": 11})
    assert weak.status_code == 400


def test_failing_job_and_unknown_generation(http, sh):
    image_id = uploaded_image(http, sh)
    r = http.post(f"{API}/generations-image-to-video", headers=sh.leonardo,
                  json={"imageId": image_id, "imageType": "UPLOADED", "prompt": "sway STANDIN:fail"})
    gen_id = r.json()["motionVideoGenerationJob"]["generationId"]
    done = sh.wait_until(lambda: poll(http, sh, gen_id), lambda g: g["status"] != "PENDING")
    assert done["status"] == "FAILED" and done["generated_images"] == []
    assert poll(http, sh, "00000000-0000-4000-8000-000000000000") is None


@pytest.mark.parametrize("path", ["/generations", "/generations-image-to-video"])
def test_ratelimit_marker(http, sh, path):
    r = http.post(f"{API}{path}", json={"prompt": "x STANDIN:ratelimit", "imageId": uploaded_image(http, sh),
                                        "imageType": "UPLOADED"}, headers=sh.leonardo)
    assert r.status_code == 429 and r.headers["retry-after"]
