"""The fal.ai queue stand-in over plain httpx: key checks, fal's refusals, the queue's phases, the
result on a CDN path that needs no key, failures, persistence and the Platform API list."""

from __future__ import annotations

import base64

import httpx
import pytest

from cctui.standin import StandIn

KLING = "fal-ai/kling-video/v2.1/standard/image-to-video"
FAL = {"authorization": "Key fal-test"}


@pytest.fixture(autouse=True)
def fal_standin(standin):
    standin.keys["fal"] = "fal-test"  # the shared fixture's keys hold none for fal (any key would do)
    return standin


def data_uri(sh, size=(64, 96)) -> str:
    return "data:image/png;base64," + base64.b64encode(sh.image_bytes(size)).decode()


def submit(http, sh, model=KLING, headers=FAL, **fields):
    body = {"prompt": "a puppy wags its tail", "image_url": data_uri(sh), **fields}
    return http.post(f"/fal/{model}", json=body, headers=headers)


def test_base_url_and_keys(fal_standin, http, sh):
    assert fal_standin.base_urls["fal"] == fal_standin.base_url + "/fal"
    missing = submit(http, sh, headers={})
    wrong = submit(http, sh, headers={"authorization": "Key nope"})
    bearer = submit(http, sh, headers={"authorization": "Bearer fal-test"})
    assert (missing.status_code, wrong.status_code, bearer.status_code) == (401, 401, 401)
    assert isinstance(missing.json()["detail"], str) and missing.json() != wrong.json()
    assert fal_standin.jobs("fal") == []


@pytest.mark.parametrize("fields, field", [
    ({"prompt": ""}, "prompt"),
    ({"image_url": None}, "image_url"),
    ({"image_url": "http://example.com/dog.png"}, "image_url"),
    ({"image_url": "data:image/png;base64,not-base64!"}, "image_url"),
    ({"image_url": "data:image/png;base64," + base64.b64encode(b"hello").decode()}, "image_url"),
    ({"duration": 5}, "duration"),
    ({"duration": "7"}, "duration"),
])
def test_invalid_input_is_422_naming_the_field(http, sh, fields, field):
    answer = submit(http, sh, **fields)
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", field] and problem["msg"] and problem["type"]


def test_model_specific_values(http, sh):
    veo = "fal-ai/veo3/fast/image-to-video"
    assert submit(http, sh, veo, duration="5").status_code == 422
    assert submit(http, sh, veo, duration="8s", aspect_ratio="1:1").status_code == 422
    assert submit(http, sh, veo, duration="8s", aspect_ratio="9:16", resolution="720p").status_code == 200
    wan = "fal-ai/wan/v2.2-a14b/image-to-video"
    assert submit(http, sh, wan, num_frames=200).json()["detail"][0]["loc"] == ["body", "num_frames"]
    assert submit(http, sh, wan, num_frames=81, frames_per_second=16, resolution="480p").status_code == 200


def test_unknown_model_is_404(http, sh):
    answer = submit(http, sh, "fal-ai/no-such-model/image-to-video")
    assert answer.status_code == 404 and "not found" in answer.json()["detail"]


def test_queue_phases_result_and_cdn(fal_standin, http, sh):
    queued = submit(http, sh, seed=3)
    assert queued.status_code == 200
    answer = queued.json()
    assert set(answer) >= {"request_id", "response_url", "status_url", "cancel_url", "queue_position"}
    assert answer["status_url"].endswith(f"/fal/fal-ai/kling-video/requests/{answer['request_id']}/status")
    first = http.get(answer["status_url"], headers=FAL)
    assert first.status_code == 202 and first.json()["status"] == "IN_QUEUE"
    assert "queue_position" in first.json()
    assert http.get(answer["response_url"], headers=FAL).status_code == 400
    seen = sh.wait_until(lambda: http.get(answer["status_url"] + "?logs=1", headers=FAL).json(),
                         lambda s: s["status"] == "COMPLETED")
    assert seen["logs"] and "error" not in seen
    result = http.get(answer["response_url"], headers=FAL).json()
    assert result["seed"] == 3 and result["video"]["content_type"] == "video/mp4"
    assert http.get(answer["response_url"]).status_code == 401  # the queue needs the key
    video = httpx.get(result["video"]["url"], timeout=30)  # the CDN does not
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert len(video.content) == result["video"]["file_size"]
    cdn = [r for r in fal_standin.requests if r.path.startswith("/_fal_media/")]
    assert cdn and "authorization" not in cdn[-1].headers


def test_in_progress_and_failed_runs(http, sh):
    answer = submit(http, sh, prompt="a puppy STANDIN:fail").json()
    statuses = set()
    done = sh.wait_until(lambda: http.get(answer["status_url"] + "?logs=1", headers=FAL).json(),
                         lambda s: statuses.add(s["status"]) or s["status"] == "COMPLETED")
    assert "IN_PROGRESS" in statuses
    assert done["error"] and done["error_type"]
    failed = http.get(answer["response_url"], headers=FAL)
    assert failed.status_code == 500 and failed.headers["x-fal-error-type"]


def test_markers_answer_at_once(fal_standin, http, sh):
    assert submit(http, sh, prompt="STANDIN:500").status_code == 500
    limited = submit(http, sh, prompt="STANDIN:ratelimit")
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert fal_standin.jobs("fal") == []


def test_jobs_survive_a_restart(tmp_path, sh):
    first = StandIn(keys={"fal": "fal-test"}, job_seconds=0.0, data_dir=tmp_path / "state").start()
    try:
        with httpx.Client(base_url=first.base_url, timeout=30) as client:
            request_id = submit(client, sh).json()["request_id"]
    finally:
        first.stop()
    second = StandIn(keys={"fal": "fal-test"}, data_dir=tmp_path / "state").start()
    try:
        status = httpx.get(f"{second.base_urls['fal']}/fal-ai/kling-video/requests/{request_id}/status",
                           headers=FAL, timeout=30)
        assert status.json()["status"] == "COMPLETED"
        other_app = httpx.get(f"{second.base_urls['fal']}/fal-ai/wan/requests/{request_id}/status",
                              headers=FAL, timeout=30)
        assert other_app.status_code == 404
    finally:
        second.stop()


def test_platform_list_by_endpoint(http, sh):
    ids = [submit(http, sh, prompt=f"dog {n}").json()["request_id"] for n in range(3)]
    listed = http.get("/fal/_platform/v1/models/requests/by-endpoint",
                      params={"endpoint_id": KLING, "limit": 2}, headers=FAL).json()
    assert [i["request_id"] for i in listed["items"]] == ids[::-1][:2] and listed["has_more"]
    rest = http.get("/fal/_platform/v1/models/requests/by-endpoint",
                    params={"endpoint_id": KLING, "limit": 2, "cursor": listed["next_cursor"]}, headers=FAL).json()
    assert [i["request_id"] for i in rest["items"]] == ids[:1] and rest["items"][0]["json_input"]["prompt"] == "dog 0"
    assert http.get("/fal/_platform/v1/models/requests/by-endpoint", headers=FAL).status_code == 422
