"""Finding a paid job whose submit answer was lost, by asking the provider (never by submitting
again): `LeonardoClient.find_submitted` and `SoraClient.find_submitted` over HTTP against the
stand-in, whose faults let the route run (the job is made and charged) and then lose the answer.
Also the stand-in's list routes they read: Leonardo's `GET /generations/user/{userId}` and
`GET /videos`."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import httpx
import pytest

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.leonardo import LeonardoClient, motion_words
from cctui.providers.sora import SoraClient
from cctui.standin.presigned_bucket import USER_ID

LEO = "/leonardo/api/rest/v1"
I2V = "/generations-image-to-video"


@pytest.fixture
async def leo(settings):
    client = LeonardoClient(settings)
    yield client
    await client.aclose()


@pytest.fixture
async def sora(settings):
    client = SoraClient(settings)
    yield client
    await client.aclose()


@pytest.fixture
def photo(tmp_path, h) -> Path:
    return h.make_image(tmp_path / "photo.png", (640, 800))


def leo_video(media_dir: Path, photo: Path, **params) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="leonardo",
                        params={"prompt": "The puppy wags its tail", "motion_strength": 3,
                                **params},
                        source_image={"local_path": str(photo), "provider": "openai",
                                      "metadata": {}},
                        media_dir=str(media_dir), stem="run1_vid")


def leo_image(media_dir: Path, **params) -> MediaRequest:
    return MediaRequest(action="txt2img", provider="leonardo",
                        params={"prompt": "A corgi asleep on a sofa", "width": 576,
                                "height": 1024, "num_images": 1, **params},
                        media_dir=str(media_dir), stem="run1_img")


def sora_video(media_dir: Path, photo: Path, **params) -> MediaRequest:
    return MediaRequest(action="img2vid", provider="openai",
                        params={"prompt": "The kitten chases a leaf", "duration": 4,
                                "aspect_ratio": "9:16", "quality": "720p", **params},
                        source_image={"local_path": str(photo), "provider": "openai",
                                      "metadata": {}},
                        media_dir=str(media_dir), stem="run1_sora")


def jobs_of(standin, kind: str) -> list[dict]:
    return [j for j in standin.jobs() if j["kind"] == kind]


async def lose(client, request: MediaRequest) -> None:
    """Submit; the stand-in makes the job and then loses the answer (a fault set up before)."""
    with pytest.raises(ProviderError):
        await client.submit(request)


# --------------------------------------------------------------------------- Leonardo


async def test_leonardo_lost_video_submit_is_found(leo, standin, media_dir, photo, h):
    since = time.time()
    standin.inject(I2V + "$", method="POST", action="reset")
    request = leo_video(media_dir, photo)
    await lose(leo, request)
    (job,) = jobs_of(standin, "img2vid")
    # The stand-in holds the prompt with the motion words the client folded into it.
    assert job["prompt"].endswith(motion_words(3).capitalize() + ".")
    assert await leo.find_submitted(request, since, set()) == job["id"]
    # Found by asking, never by sending the paid request again.
    assert h.count(standin, "POST", I2V) == 1
    assert h.count(standin, "GET", "/me") == 1
    listed = h.last(standin, "GET", f"/generations/user/{USER_ID}")
    assert listed.status == 200


async def test_leonardo_lost_image_submit_is_found(leo, standin, media_dir, h):
    since = time.time()
    standin.inject(r"/generations$", method="POST", action="malformed")
    request = leo_image(media_dir)
    await lose(leo, request)
    (job,) = jobs_of(standin, "txt2img")
    assert await leo.find_submitted(request, since, set()) == job["id"]
    assert h.count(standin, "POST", "/generations") == 1


async def test_leonardo_a_second_identical_job_is_told_apart_by_exclude(leo, standin, media_dir,
                                                                         photo):
    since = time.time()
    standin.inject(I2V + "$", 500, method="POST", after=True, times=2)
    request = leo_video(media_dir, photo)
    await lose(leo, request)
    await lose(leo, request)
    first, second = jobs_of(standin, "img2vid")  # oldest first
    assert first["id"] != second["id"]
    assert await leo.find_submitted(request, since, set()) == first["id"]  # the oldest
    assert await leo.find_submitted(request, since, {first["id"]}) == second["id"]
    assert await leo.find_submitted(request, since, {first["id"], second["id"]}) is None


async def test_leonardo_a_job_from_before_since_is_not_taken(leo, standin, media_dir, h):
    request = leo_image(media_dir)
    await leo.submit(request)  # an earlier job with the same prompt, answered normally
    (older,) = jobs_of(standin, "txt2img")
    time.sleep(1.05)  # the search cuts at whole seconds
    since = time.time()
    leo.FIND_CLOCK_SKEW = 0.0  # no allowance for clocks that differ: the cut is at `since`
    assert await leo.find_submitted(request, since, set()) is None
    standin.inject(r"/generations$", method="POST", action="reset")
    await lose(leo, request)
    lost = [j for j in jobs_of(standin, "txt2img") if j["id"] != older["id"]]
    assert len(lost) == 1
    assert await leo.find_submitted(request, since, set()) == lost[0]["id"]
    # With the usual allowance for skewed clocks, the earlier one is within reach (the oldest).
    leo.FIND_CLOCK_SKEW = LeonardoClient.FIND_CLOCK_SKEW
    assert await leo.find_submitted(request, since, set()) == older["id"]


async def test_leonardo_nothing_sent_finds_nothing(leo, standin, media_dir, photo, h):
    since = time.time()
    assert await leo.find_submitted(leo_image(media_dir), since, set()) is None  # empty account
    # Other jobs of the account, made after `since`, are not this request's.
    await h.run_job(leo, leo_image(media_dir, prompt="A beagle on a beach"))
    await leo.submit(leo_video(media_dir, photo, motion_strength=8))  # other motion words
    assert await leo.find_submitted(leo_image(media_dir), since, set()) is None
    assert await leo.find_submitted(leo_video(media_dir, photo), since, set()) is None


async def test_leonardo_video_and_image_with_one_prompt_are_told_apart(leo, standin, media_dir,
                                                                      photo, h):
    """The same text as an image prompt and as a video prompt: the kind decides, from what the
    listed generation holds (the motion fields of its generated images)."""
    since = time.time()
    prompt = "A spaniel in the snow"
    image = leo_image(media_dir, prompt=prompt)
    video = leo_video(media_dir, photo, prompt=prompt, motion_strength=None)
    made_image, _, _ = await h.run_job(leo, image)  # older, COMPLETE: its images say "no motion"
    standin.inject(I2V + "$", method="POST", action="reset")
    await lose(leo, video)
    (lost_video,) = jobs_of(standin, "img2vid")
    assert lost_video["prompt"] == prompt
    assert await leo.find_submitted(video, since, set()) == lost_video["id"]
    # And the other way round, once the video is COMPLETE (its images carry the motion MP4).
    for _ in range(100):
        if (await leo.poll(lost_video["id"], video)).status == "completed":
            break
        time.sleep(0.05)
    standin.inject(r"/generations$", method="POST", action="reset")
    await lose(leo, image)
    lost_image = [j for j in jobs_of(standin, "txt2img") if j["id"] != made_image.provider_job_id]
    assert len(lost_image) == 1
    assert await leo.find_submitted(image, since, {made_image.provider_job_id}) == \
        lost_image[0]["id"]
    # The older COMPLETE image is never a video's, whatever its prompt (the newer image is still
    # PENDING: of no known kind, so it would be taken, and is excluded here).
    assert await leo.find_submitted(video, since, {lost_video["id"], lost_image[0]["id"]}) is None


async def test_leonardo_search_pages_through_the_list(leo, standin, media_dir, h):
    since = time.time()
    standin.inject(r"/generations$", method="POST", action="reset")
    request = leo_image(media_dir)
    await lose(leo, request)
    (lost,) = jobs_of(standin, "txt2img")
    for n in range(5):  # newer jobs push the lost one onto a later page
        await leo.submit(leo_image(media_dir, prompt=f"A pug, take {n}"))
    leo.FIND_PAGE_SIZE = 2
    assert await leo.find_submitted(request, since, set()) == lost["id"]
    pages = [r for r in standin.requests if r.path.endswith(f"/generations/user/{USER_ID}")]
    assert len(pages) == 4  # three full pages, then an empty one


async def test_leonardo_listing_errors_are_provider_errors(leo, standin, media_dir):
    standin.inject(r"/generations/user/", 429, method="GET", headers={"retry-after": "2"})
    with pytest.raises(ProviderError) as info:
        await leo.find_submitted(leo_image(media_dir), time.time(), set())
    assert info.value.kind == "rate_limit" and info.value.retry_after == 2
    standin.inject(r"/generations/user/", method="GET", action="reset")
    with pytest.raises(ProviderError) as info:
        await leo.find_submitted(leo_image(media_dir), time.time(), set())
    assert info.value.kind == "server"


# --------------------------------------------------------------------------- Sora


async def test_sora_lost_submit_is_found(sora, standin, media_dir, photo, h):
    since = time.time()
    standin.inject(r"/videos$", method="POST", action="reset")
    request = sora_video(media_dir, photo)
    await lose(sora, request)
    (job,) = jobs_of(standin, "sora")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the listing keeps the SDK quiet too
        assert await sora.find_submitted(request, since, set()) == job["id"]
    assert h.count(standin, "POST", "/videos") == 1
    listed = h.last(standin, "GET", "/videos")
    assert "order=desc" in listed.query


async def test_sora_a_second_identical_job_is_told_apart_by_exclude(sora, standin, media_dir,
                                                                    photo):
    since = time.time()
    standin.inject(r"/videos$", 500, method="POST", after=True, times=2)
    request = sora_video(media_dir, photo)
    await lose(sora, request)
    await lose(sora, request)
    first, second = jobs_of(standin, "sora")
    assert await sora.find_submitted(request, since, set()) == first["id"]
    assert await sora.find_submitted(request, since, {first["id"]}) == second["id"]
    assert await sora.find_submitted(request, since, {first["id"], second["id"]}) is None


async def test_sora_a_job_from_before_since_is_not_taken(sora, standin, media_dir, photo):
    request = sora_video(media_dir, photo)
    older = await sora.submit(request)
    time.sleep(1.05)  # created_at is in whole seconds
    since = time.time()
    sora.FIND_CLOCK_SKEW = 0.0
    assert await sora.find_submitted(request, since, set()) is None
    standin.inject(r"/videos$", method="POST", action="reset")
    await lose(sora, request)
    (lost,) = [j for j in jobs_of(standin, "sora") if j["id"] != older.provider_job_id]
    assert await sora.find_submitted(request, since, set()) == lost["id"]
    sora.FIND_CLOCK_SKEW = SoraClient.FIND_CLOCK_SKEW
    assert await sora.find_submitted(request, since, set()) == older.provider_job_id


async def test_sora_nothing_sent_finds_nothing(sora, standin, media_dir, photo):
    since = time.time()
    request = sora_video(media_dir, photo)
    assert await sora.find_submitted(request, since, set()) is None
    # Jobs that differ in prompt, size, seconds or model are not this request's.
    await sora.submit(sora_video(media_dir, photo, prompt="A goat on a roof"))
    await sora.submit(sora_video(media_dir, photo, aspect_ratio="16:9"))
    await sora.submit(sora_video(media_dir, photo, duration=8))
    await sora.submit(sora_video(media_dir, photo, quality="1080p"))  # made by sora-2-pro
    assert len(jobs_of(standin, "sora")) == 4
    assert await sora.find_submitted(request, since, set()) is None


async def test_sora_search_pages_through_the_list(sora, standin, media_dir, photo):
    since = time.time()
    standin.inject(r"/videos$", method="POST", action="reset")
    request = sora_video(media_dir, photo)
    await lose(sora, request)
    (lost,) = jobs_of(standin, "sora")
    for n in range(4):
        await sora.submit(sora_video(media_dir, photo, prompt=f"A hamster, take {n}"))
    sora.FIND_PAGE_SIZE = 2
    assert await sora.find_submitted(request, since, set()) == lost["id"]
    pages = [r for r in standin.requests if r.method == "GET" and r.path.endswith("/videos")]
    assert len(pages) == 3 and "after=video_" in pages[-1].query


async def test_sora_listing_errors_are_provider_errors(sora, standin, media_dir, photo):
    standin.inject(r"/videos$", 401, method="GET")
    with pytest.raises(ProviderError) as info:
        await sora.find_submitted(sora_video(media_dir, photo), time.time(), set())
    assert info.value.kind == "auth"


# --------------------------------------------------------------------------- the stand-in's lists


def leo_http(standin) -> httpx.Client:
    return httpx.Client(base_url=standin.base_url + LEO, timeout=30,
                        headers={"authorization": "Bearer leo-test"})


def test_standin_leonardo_generations_by_user(standin, tmp_path, h):
    with leo_http(standin) as http:
        user = http.get("/me").json()["user_details"][0]["user"]["id"]
        assert http.get(f"/generations/user/{user}").json() == {"generations": []}
        made = []
        for n in range(3):
            answer = http.post("/generations", json={"prompt": f"dog {n}", "width": 512,
                                                     "height": 512, "num_images": 1})
            made.append(answer.json()["sdGenerationJob"]["generationId"])
        listed = http.get(f"/generations/user/{user}").json()["generations"]
        assert [g["id"] for g in listed] == made[::-1]  # newest first
        first = listed[0]
        for key in ("id", "createdAt", "prompt", "status", "generated_images", "imageWidth",
                    "imageHeight", "modelId", "negativePrompt", "public", "seed"):
            assert key in first
        assert first["prompt"] == "dog 2" and first["createdAt"].endswith("Z")
        assert "motion" not in first  # the motion fields are on the generated images
        page = http.get(f"/generations/user/{user}", params={"offset": 1, "limit": 1}).json()
        assert [g["id"] for g in page["generations"]] == [made[1]]
        for bad in ({"limit": "ten"}, {"offset": -1}, {"limit": "1.5"}):
            r = http.get(f"/generations/user/{user}", params=bad)
            assert r.status_code == 400 and r.json()["code"] == "validation-failed"
        other = http.get("/generations/user/5d7b6c1e-1111-4000-8000-000000000002")
        assert other.status_code == 403
        assert set(other.json()) == {"error", "path", "code"}
    # Without a key: the usual 401.
    assert httpx.get(f"{standin.base_url}{LEO}/generations/user/{USER_ID}").status_code == 401


@pytest.fixture
def sh_image(tmp_path, h) -> bytes:
    return h.make_image(tmp_path / "src.png", (64, 96)).read_bytes()


def test_standin_leonardo_listed_video_holds_its_motion(standin, sh_image):
    with leo_http(standin) as http:
        form = http.post("/init-image", json={"extension": "png"}).json()["uploadInitImage"]
        fields = json.loads(form["fields"])
        up = httpx.post(form["url"], data=fields, files={"file": ("a.png", sh_image, "image/png")})
        assert up.status_code == 204
        job = http.post(I2V, json={"imageId": form["id"], "imageType": "UPLOADED",
                                   "prompt": "wag", "model": "MOTION2"}).json()
        video_id = job["motionVideoGenerationJob"]["generationId"]
        (pending,) = http.get(f"/generations/user/{USER_ID}").json()["generations"]
        assert pending["id"] == video_id and pending["status"] == "PENDING"
        assert pending["generated_images"] == []
        deadline = time.monotonic() + 10
        while True:
            (listed,) = http.get(f"/generations/user/{USER_ID}").json()["generations"]
            if listed["status"] == "COMPLETE" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        (image,) = listed["generated_images"]
        assert image["motion"] is True and image["imageToVideo"] is True
        assert image["motionMP4URL"].endswith(".mp4") and image["motionModel"] == "MOTION2"


def test_standin_sora_list_videos(standin, tmp_path, h):
    auth = {"authorization": "Bearer sk-test"}
    base = standin.base_url + "/openai/v1/videos"
    made = []
    for n in range(3):
        answer = httpx.post(base, headers=auth, files=[("model", (None, "sora-2")),
                                                       ("prompt", (None, f"cat {n}"))])
        assert answer.status_code == 200, answer.text
        made.append(answer.json()["id"])
    everything = httpx.get(base, headers=auth).json()
    assert everything["object"] == "list" and everything["has_more"] is False
    assert [v["id"] for v in everything["data"]] == made[::-1]  # desc by default
    assert everything["first_id"] == made[2] and everything["last_id"] == made[0]
    assert everything["data"][0]["prompt"] == "cat 2"
    for key in ("id", "object", "model", "status", "progress", "created_at", "completed_at",
                "expires_at", "prompt", "size", "seconds", "remixed_from_video_id", "error"):
        assert key in everything["data"][0]
    first = httpx.get(base, headers=auth, params={"limit": 2}).json()
    assert [v["id"] for v in first["data"]] == [made[2], made[1]] and first["has_more"] is True
    rest = httpx.get(base, headers=auth, params={"limit": 2, "after": first["last_id"]}).json()
    assert [v["id"] for v in rest["data"]] == [made[0]] and rest["has_more"] is False
    asc = httpx.get(base, headers=auth, params={"order": "asc"}).json()
    assert [v["id"] for v in asc["data"]] == made
    for bad, param in (({"limit": 101}, "limit"), ({"limit": -1}, "limit"),
                       ({"limit": "x"}, "limit"), ({"order": "up"}, "order"),
                       ({"after": "video_nope"}, "after")):
        r = httpx.get(base, headers=auth, params=bad)
        assert r.status_code == 400 and r.json()["error"]["param"] == param
