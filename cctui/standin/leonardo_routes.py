"""Leonardo.Ai REST v1 stand-in: text-to-image, image-to-video, Motion SVD, polling, `/me`, CDN files.

Refusals (error body `{"error", "path", "code"}`):
- `POST /generations`: `prompt` required; `width` / `height` integers 32-1536 and multiples of
  8; `num_images` 1-8 → 400 `validation-failed`. `STANDIN:moderation` → 403 "content moderation
  filter"; `STANDIN:ratelimit` → 429; `STANDIN:500` → 500.
- `POST /generations-image-to-video`: `imageId`, `imageType` (`UPLOADED` | `GENERATED`) and
  `prompt` required; `UPLOADED` needs an init-image id whose file was uploaded; `GENERATED` needs
  the id of an image of a COMPLETE text-to-image generation (a generation id is refused);
  `model` in MOTION2 (default), MOTION2FAST, VEO3, VEO3FAST, KLING2_1, KLING2_5; `resolution` in
  RESOLUTION_480 / 720 / 1080; `duration` allowed per model (unconfirmed table below).
- `POST /generations-motion-svd`: `imageId` (init image when `isInitImage: true`, else a
  generated image), `motionStrength` integer 1-10.
- `GET /generations/user/{userId}?offset=0&limit=10`: the caller's generations, image and video,
  newest first, as `{"generations": [...]}` in the documented shape (the motion fields sit on
  each of `generated_images`). `offset` / `limit` must be whole numbers >= 0 → else 400
  `validation-failed`; a `userId` that is not the caller's (the one `GET /me` gives) → 403
  `access-denied`. Unconfirmed: the order, the largest `limit`, and Leonardo's answer to another
  user's id are not documented.

Jobs are PENDING for `job_seconds`, then COMPLETE (or FAILED with `STANDIN:fail` in the prompt;
`STANDIN:stuck` never finishes). `generated_images` is empty until COMPLETE. Files are served,
without auth like a CDN, under `/_files/leonardo/<generationId>/<imageId>.png|.mp4`.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import presigned_bucket
from .errors import RouteError, leonardo_error, leonardo_invalid, leonardo_sync_markers, marker
from .http_layer import Request, Response
from .jobs import job_phase
from .media_factory import (cover_fit, encode_image, ensure_file, load_image, make_video, scene_image,
                            small_size)

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

MOTION_MODELS = ("MOTION2", "MOTION2FAST", "VEO3", "VEO3FAST", "KLING2_1", "KLING2_5")
RESOLUTIONS = {"RESOLUTION_480": 480, "RESOLUTION_720": 720, "RESOLUTION_1080": 1080}
# Unconfirmed: the allowed durations and the credit prices per model are illustrative.
DURATIONS = {"MOTION2": (5, 10), "MOTION2FAST": (5, 10), "VEO3": (4, 6, 8), "VEO3FAST": (4, 6, 8),
             "KLING2_1": (5, 10), "KLING2_5": (5, 10)}
CREDITS = {"MOTION2": 25, "MOTION2FAST": 12, "VEO3": 200, "VEO3FAST": 100, "KLING2_1": 80, "KLING2_5": 100}
RESOLUTION_FACTOR = {"RESOLUTION_480": 0.6, "RESOLUTION_720": 1.0, "RESOLUTION_1080": 2.0}
SVD_CREDITS = 25
START_BALANCE = 10_000
FILES = "/_files/leonardo"


def register(router: "Router", prefix: str) -> None:
    presigned_bucket.register(router, prefix)
    router.add("POST", prefix + "/generations", create_generation)
    router.add("GET", prefix + r"/generations/user/(?P<user_id>[^/]+)", generations_by_user)
    router.add("GET", prefix + r"/generations/(?P<generation_id>[A-Za-z0-9-]+)", get_generation)
    router.add("DELETE", prefix + r"/generations/(?P<generation_id>[A-Za-z0-9-]+)", delete_generation)
    router.add("POST", prefix + "/generations-image-to-video", create_image_to_video)
    router.add("POST", prefix + "/generations-motion-svd", create_motion_svd)
    router.add("GET", prefix + "/me", me)
    router.add("GET", FILES + r"/(?P<generation_id>[A-Za-z0-9-]+)/(?P<image_id>[A-Za-z0-9-]+)\.(?P<ext>png|mp4)",
               serve_file)


def _body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise leonardo_invalid("expected a JSON object", "$")
    return body


def _int(body: dict[str, Any], name: str, default: int, low: int, high: int, multiple: int = 1) -> int:
    value = body.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, int) or isinstance(value, bool):
        raise leonardo_invalid(f"expected an integer for '{name}', got {value!r}", f"$.{name}")
    if not low <= value <= high:
        raise leonardo_invalid(f"'{name}' must be between {low} and {high}, got {value}", f"$.{name}")
    if value % multiple:
        raise leonardo_invalid(f"'{name}' must be a multiple of {multiple}, got {value}", f"$.{name}")
    return value


def _prompt(body: dict[str, Any], required: bool = True) -> str:
    prompt = body.get("prompt")
    if prompt is None and not required:
        return ""
    if not isinstance(prompt, str) or not prompt.strip():
        raise leonardo_invalid("'prompt' is required and must be a non-empty string", "$.prompt")
    if len(prompt) > 1500:
        raise leonardo_invalid("'prompt' must be at most 1500 characters", "$.prompt")
    return prompt


def _outcome(prompt: str) -> str:
    return "fail" if marker(prompt, "fail") else "stuck" if marker(prompt, "stuck") else "ok"


def _job_answer(key: str, job_id: str, credits: int) -> Response:
    return Response.json(200, {key: {"generationId": job_id, "apiCreditCost": credits,
                                     "cost": {"amount": credits, "unit": "credits"}}})


def create_generation(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    prompt = _prompt(body)
    width = _int(body, "width", 1024, 32, 1536, 8)
    height = _int(body, "height", 768, 32, 1536, 8)
    num_images = _int(body, "num_images", 4, 1, 8)
    leonardo_sync_markers(prompt, srv.retry_after_seconds)
    credits = max(1, math.ceil(num_images * width * height / (1024 * 1024) * 8))
    job_id = str(uuid.uuid4())
    image_ids = [str(uuid.uuid4()) for _ in range(num_images)]
    srv.state.add_job({"id": job_id, "provider": "leonardo", "kind": "txt2img", "created": time.time(),
                       "duration": srv.job_seconds, "outcome": _outcome(prompt), "prompt": prompt,
                       "negative_prompt": body.get("negative_prompt"), "width": width, "height": height,
                       "num_images": num_images, "model_id": body.get("modelId"), "image_ids": image_ids,
                       "seed": body.get("seed"), "credits": credits}, generated_image_ids=image_ids)
    srv.state.spend(credits)
    return _job_answer("sdGenerationJob", job_id, credits)


def _image_source(srv: "StandIn", image_id: Any, uploaded: bool, field: str) -> tuple[str, dict[str, Any]]:
    """Where the image for a motion job comes from: ("init", record) or ("generated", job+index)."""
    if not isinstance(image_id, str) or not image_id:
        raise leonardo_invalid(f"'{field}' is required", f"$.{field}")
    if uploaded:
        record = srv.state.init_image(image_id)
        if record is None:
            hint = (" (that is a generated image id: use imageType GENERATED)"
                    if srv.state.generation_of_image(image_id) else
                    " (that is a generation id, not an image id)" if srv.state.job(image_id) else "")
            raise leonardo_error(400, f"Init image {image_id} not found{hint}", "bad-request", f"$.{field}")
        if not record.get("uploaded"):
            raise leonardo_error(400, f"Init image {image_id} has no uploaded file: upload it to the presigned "
                                      "url first", "bad-request", f"$.{field}")
        return "init", {"file": record["file"]}
    generation_id = srv.state.generation_of_image(image_id)
    if generation_id is None:
        if srv.state.job(image_id) is not None:
            raise leonardo_error(400, f"{image_id} is a generation id; imageId must be the id of one of its "
                                      "generated_images", "bad-request", f"$.{field}")
        hint = " (that is an init image id: use imageType UPLOADED)" if srv.state.init_image(image_id) else ""
        raise leonardo_error(400, f"Generated image {image_id} not found{hint}", "bad-request", f"$.{field}")
    job = srv.state.job(generation_id)
    assert job is not None
    status = _status(job)
    if status != "COMPLETE" or job["kind"] != "txt2img":
        raise leonardo_error(400, f"Generated image {image_id} is not available (generation status {status})",
                             "bad-request", f"$.{field}")
    return "generated", {"generation_id": generation_id, "index": job["image_ids"].index(image_id)}


def create_image_to_video(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    image_type = body.get("imageType")
    if image_type not in ("UPLOADED", "GENERATED"):
        raise leonardo_invalid(f"'imageType' must be UPLOADED or GENERATED, got {image_type!r}", "$.imageType")
    prompt = _prompt(body)
    model = body.get("model") or "MOTION2"
    if model not in MOTION_MODELS:
        raise leonardo_invalid(f"'model' must be one of {', '.join(MOTION_MODELS)}, got {model!r}", "$.model")
    resolution = body.get("resolution") or "RESOLUTION_720"
    if resolution not in RESOLUTIONS:
        raise leonardo_invalid(f"'resolution' must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}",
                               "$.resolution")
    duration = body.get("duration", DURATIONS[model][0])
    if duration not in DURATIONS[model] or isinstance(duration, bool):
        raise leonardo_invalid(f"'duration' for {model} must be one of {list(DURATIONS[model])}, got {duration!r}",
                               "$.duration")
    kind, source = _image_source(srv, body.get("imageId"), image_type == "UPLOADED", "imageId")
    leonardo_sync_markers(prompt, srv.retry_after_seconds)
    credits = math.ceil(CREDITS[model] * RESOLUTION_FACTOR[resolution] * duration / DURATIONS[model][0])
    return _video_job(srv, "motionVideoGenerationJob", prompt, body, kind, source, credits,
                      {"motion_model": model, "resolution": resolution, "video_duration": duration})


def create_motion_svd(srv: "StandIn", req: Request) -> Response:
    body = _body(req)
    strength = _int(body, "motionStrength", 5, 1, 10)
    is_init = body.get("isInitImage", False)
    if not isinstance(is_init, bool):
        raise leonardo_invalid("'isInitImage' must be a boolean", "$.isInitImage")
    kind, source = _image_source(srv, body.get("imageId"), is_init, "imageId")
    prompt = _prompt(body, required=False)
    leonardo_sync_markers(prompt, srv.retry_after_seconds)
    return _video_job(srv, "motionSvdGenerationJob", prompt, body, kind, source, SVD_CREDITS,
                      {"motion_model": "SVD", "motion_strength": strength})


def _video_job(srv: "StandIn", key: str, prompt: str, body: dict[str, Any], kind: str, source: dict[str, Any],
               credits: int, extra: dict[str, Any]) -> Response:
    job_id = str(uuid.uuid4())
    srv.state.add_job({"id": job_id, "provider": "leonardo", "kind": "img2vid", "created": time.time(),
                       "duration": srv.job_seconds, "outcome": _outcome(prompt), "prompt": prompt,
                       "negative_prompt": body.get("negativePrompt"), "source_kind": kind, "source": source,
                       "image_ids": [str(uuid.uuid4())], "credits": credits, "seed": body.get("seed"),
                       "public": bool(body.get("isPublic", False)), **extra})
    srv.state.spend(credits)
    return _job_answer(key, job_id, credits)


def _status(job: dict[str, Any]) -> str:
    phase, _ = job_phase(job)
    if phase != "done":
        return "PENDING"
    return "FAILED" if job["outcome"] == "fail" else "COMPLETE"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def get_generation(srv: "StandIn", req: Request, generation_id: str) -> Response:
    job = srv.state.job(generation_id)
    if job is None or job.get("provider") != "leonardo" or job.get("deleted"):
        return Response.json(200, {"generations_by_pk": None})
    status = _status(job)
    is_video = job["kind"] == "img2vid"
    images = []
    if status == "COMPLETE":
        for image_id in job["image_ids"]:
            base = f"{req.base_url}{FILES}/{job['id']}/{image_id}"
            images.append({"id": image_id, "url": base + ".png", "nsfw": False, "likeCount": 0,
                           "motionMP4URL": base + ".mp4" if is_video else None,
                           "generated_image_variation_generics": []})
    width, height = _video_size(srv, job) if is_video else (job["width"], job["height"])
    return Response.json(200, {"generations_by_pk": {
        "id": job["id"], "status": status, "createdAt": _iso(job["created"]), "prompt": job["prompt"],
        "negativePrompt": job.get("negative_prompt") or "", "imageWidth": width, "imageHeight": height,
        "modelId": job.get("model_id"), "motion": is_video, "motionModel": job.get("motion_model"),
        "motionStrength": job.get("motion_strength"), "public": bool(job.get("public")), "seed": job.get("seed"),
        "sdVersion": None, "scheduler": None, "presetStyle": None, "initStrength": None, "guidanceScale": None,
        "inferenceSteps": None, "photoReal": False, "promptMagic": False, "generation_elements": [],
        "generated_images": images}})


def _query_count(req: Request, name: str, default: int) -> int:
    raw = req.query_value(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise leonardo_invalid(f"expected an integer for '{name}', got {raw!r}", f"$.{name}") from None
    if value < 0:
        raise leonardo_invalid(f"'{name}' must not be negative, got {value}", f"$.{name}")
    return value


def _listed_generation(srv: "StandIn", req: Request, job: dict[str, Any]) -> dict[str, Any]:
    """One generation as "Get generations by user ID" documents it: the motion fields
    (`motion`, `imageToVideo`, `motionMP4URL`, `motionModel`, `motionStrength`) are on each generated
    image, none on the generation; `generated_images` is empty until COMPLETE."""
    status = _status(job)
    is_video = job["kind"] == "img2vid"
    images = []
    if status == "COMPLETE":
        for image_id in job["image_ids"]:
            base = f"{req.base_url}{FILES}/{job['id']}/{image_id}"
            images.append({"id": image_id, "url": base + ".png", "nsfw": False, "likeCount": 0,
                           "generated_image_variation_generics": [], "motion": is_video,
                           "imageToVideo": is_video and job.get("motion_model") != "SVD",
                           "motionMP4URL": base + ".mp4" if is_video else None,
                           "motionModel": job.get("motion_model"), "motionStrength": job.get("motion_strength")})
    width, height = _video_size(srv, job) if is_video else (job["width"], job["height"])
    return {"id": job["id"], "status": status, "createdAt": _iso(job["created"]), "prompt": job["prompt"],
            "negativePrompt": job.get("negative_prompt") or "", "imageWidth": width, "imageHeight": height,
            "modelId": job.get("model_id"), "public": bool(job.get("public")), "seed": job.get("seed"),
            "sdVersion": None, "scheduler": None, "presetStyle": None, "initStrength": None, "guidanceScale": None,
            "inferenceSteps": None, "photoReal": False, "photoRealStrength": None, "promptMagic": False,
            "promptMagicStrength": None, "promptMagicVersion": None, "ultra": None, "generation_elements": [],
            "generated_images": images}


def generations_by_user(srv: "StandIn", req: Request, user_id: str) -> Response:
    offset = _query_count(req, "offset", 0)
    limit = _query_count(req, "limit", 10)
    if user_id != presigned_bucket.USER_ID:
        # Unconfirmed: Leonardo does not document its answer to another user's id.
        raise leonardo_error(403, f"not allowed to read the generations of user {user_id}", "access-denied",
                             "$.userId")
    jobs = [j for j in srv.state.jobs("leonardo") if not j.get("deleted")]
    jobs.reverse()  # newest first
    return Response.json(200, {"generations": [_listed_generation(srv, req, j)
                                               for j in jobs[offset:offset + limit]]})


def delete_generation(srv: "StandIn", req: Request, generation_id: str) -> Response:
    job = srv.state.job(generation_id)
    if job is None or job.get("provider") != "leonardo" or job.get("deleted"):
        return Response.json(200, {"delete_generations_by_pk": None})
    srv.state.update_job(generation_id, deleted=True)
    return Response.json(200, {"delete_generations_by_pk": {"id": generation_id}})


def me(srv: "StandIn", req: Request) -> Response:
    spent = int(srv.state.counts()["credits_spent"])
    balance = max(0, START_BALANCE - spent)
    return Response.json(200, {"user_details": [{
        "user": {"id": presigned_bucket.USER_ID, "username": "standin"},
        "tokenRenewalDate": None, "paidTokens": 0, "subscriptionTokens": 0, "subscriptionGptTokens": 0,
        "subscriptionModelTokens": 0, "apiConcurrencySlots": 10, "apiPaidTokens": balance,
        "apiSubscriptionTokens": 0, "apiPlanTokenRenewalDate": None, "apiCreditBalance": balance}]})


# --------------------------------------------------------------------------- files


def _source_image(srv: "StandIn", job: dict[str, Any]):  # -> PIL.Image.Image
    source = job["source"]
    if job["source_kind"] == "init":
        return load_image(srv.data_dir / source["file"])
    parent = srv.state.job(source["generation_id"])
    assert parent is not None
    return _generated_image(srv, parent, source["index"])


def _generated_image(srv: "StandIn", job: dict[str, Any], index: int):  # -> PIL.Image.Image
    path = ensure_file(srv.state.files_dir / "leonardo" / job["id"] / f"{job['image_ids'][index]}.png",
                       lambda out: out.write_bytes(encode_image(
                           scene_image(job["prompt"], (job["width"], job["height"]), index))))
    return load_image(path)


def _video_size(srv: "StandIn", job: dict[str, Any]) -> tuple[int, int]:
    if "video_size" not in job:
        img = _source_image(srv, job)
        job["video_size"] = list(small_size(img.size, srv.video_short_side))
        srv.state.update_job(job["id"], video_size=job["video_size"])
    width, height = job["video_size"]
    return int(width), int(height)


def serve_file(srv: "StandIn", req: Request, generation_id: str, image_id: str, ext: str) -> Response:
    job = srv.state.job(generation_id)
    if (job is None or job.get("provider") != "leonardo" or image_id not in job["image_ids"]
            or _status(job) != "COMPLETE" or (ext == "mp4" and job["kind"] != "img2vid")):
        raise RouteError(Response.raw(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied'
                                           b'</Code><Message>Access Denied</Message></Error>', "application/xml"))
    folder = srv.state.files_dir / "leonardo" / job["id"]
    if job["kind"] == "txt2img":
        _generated_image(srv, job, job["image_ids"].index(image_id))
        return Response.send_file(folder / f"{image_id}.png", "image/png")
    size = _video_size(srv, job)
    if ext == "png":
        path = ensure_file(folder / f"{image_id}.png", lambda out: out.write_bytes(
            encode_image(cover_fit(_source_image(srv, job), size))))
        return Response.send_file(path, "image/png")
    path = ensure_file(folder / f"{image_id}.mp4", lambda out: make_video(
        _source_image(srv, job), out, size, srv.clip_seconds or float(job.get("video_duration", 5))))
    return Response.send_file(path, "video/mp4")
