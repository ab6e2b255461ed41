"""OpenAI Videos API (Sora 2) stand-in: create, poll, download, list, delete.

`POST /videos` takes multipart (the SDK's way; `input_reference` as a file part) or JSON
(`input_reference: {"image_url": "data:..."}`). Refused like the real service: unknown model →
404 `model_not_found`; `seconds` not one of "4" / "8" / "12" → 400; `size` not served by the
model → 400; an `input_reference` that is not a png/jpeg/webp image, or whose pixel size differs
from `size` → 400 "Inpaint image must match the requested width and height".

The job runs on the wall clock: `queued` for the first 20 % of `job_seconds`, then `in_progress`
with rising `progress`, then `completed` (or `failed`). Prompt markers: `STANDIN:fail` → failed
with `error.code: video_generation_failed`; `STANDIN:moderation` → failed with
`moderation_blocked`; `STANDIN:stuck` → never finishes; `STANDIN:quota` / `ratelimit` / `500` →
answered at once like every OpenAI POST.

`GET /videos/{id}/content?variant=video|thumbnail|spritesheet` → a real H.264 MP4 (scaled down,
same aspect, `clip_seconds` long), a WebP, a JPEG sprite sheet; before completion → 404.

`GET /videos?limit=&order=&after=` → `VideoListResource` (`object: "list"`, `data` of video objects,
each with its `prompt`, `first_id`, `last_id`, `has_more`); `limit` an integer 0-100 (default 20,
unconfirmed), `order` `asc` | `desc` (default `desc`, newest first), `after` the id of a listed
video → 400 otherwise.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import marker, openai_error, openai_sync_markers
from .http_layer import BadRequestBody, Request, Response
from .jobs import job_phase
from .media_factory import (ensure_file, image_info, load_image, make_video, scene_image, small_size,
                            spritesheet, thumbnail)
from .openai_validation import DATA_URL_RE, check_openapi

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

BASE_SIZES = ("720x1280", "1280x720")
PRO_SIZES = BASE_SIZES + ("1024x1792", "1792x1024")
MODELS = {"sora-2": BASE_SIZES, "sora-2-2025-10-06": BASE_SIZES, "sora-2-2025-12-08": BASE_SIZES,
          "sora-2-pro": PRO_SIZES, "sora-2-pro-2025-10-06": PRO_SIZES}
SECONDS = ("4", "8", "12")
REFERENCE_FORMATS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
FAIL_AT = 0.5  # a failing job fails half-way through its duration
EXPIRY_SECONDS = 24 * 3600


def register(router: "Router", prefix: str) -> None:
    router.add("POST", prefix + "/videos", create_video)
    router.add("GET", prefix + "/videos", list_videos)
    router.add("GET", prefix + r"/videos/(?P<video_id>[A-Za-z0-9_-]+)", get_video)
    router.add("DELETE", prefix + r"/videos/(?P<video_id>[A-Za-z0-9_-]+)", delete_video)
    router.add("GET", prefix + r"/videos/(?P<video_id>[A-Za-z0-9_-]+)/content", video_content)


def _poll_header(srv: "StandIn") -> dict[str, str]:
    return {"openai-poll-after-ms": str(max(50, int(srv.job_seconds * 1000 / 8)))}


def _read_request(req: Request) -> tuple[dict[str, Any], bytes | None]:
    """(fields, reference image bytes or None) from a multipart or JSON create request."""
    if req.content_type == "multipart/form-data":
        fields: dict[str, Any] = {}
        reference: bytes | None = None
        for part in req.parts():
            if part.name == "input_reference" and part.filename is not None:
                reference = part.data
            elif part.name == "input_reference[image_url]":
                fields["input_reference"] = {"image_url": part.text}
            elif part.name == "input_reference[file_id]":
                fields["input_reference"] = {"file_id": part.text}
            else:
                fields[part.name] = part.text
        return fields, reference
    if req.content_type == "application/json":
        body = req.json()
        if not isinstance(body, dict):
            raise openai_error(400, "The request body must be a JSON object.", code="invalid_type")
        return body, None
    raise BadRequestBody("POST /videos takes multipart/form-data or application/json")


def _reference_from_object(ref: Any) -> bytes:
    if not isinstance(ref, dict):
        raise openai_error(400, "Invalid 'input_reference': expected a file upload or an object with image_url.",
                           param="input_reference", code="invalid_type")
    if ref.get("file_id"):
        raise openai_error(404, f"No such File object: {ref['file_id']}", param="input_reference.file_id",
                           code=None)
    match = DATA_URL_RE.match(str(ref.get("image_url") or ""))
    if not match or not match.group("b64"):
        raise openai_error(400, "Invalid 'input_reference.image_url': the stand-in needs a base64 data: URL.",
                           param="input_reference.image_url", code="invalid_image_url")
    try:
        return base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise openai_error(400, "Invalid base64 in 'input_reference.image_url'.",
                           param="input_reference.image_url", code="invalid_image_url") from None


def create_video(srv: "StandIn", req: Request) -> Response:
    fields, reference = _read_request(req)
    model = fields.get("model") or "sora-2"
    if model not in MODELS:
        raise openai_error(404, f"The model `{model}` does not exist or you do not have access to it.",
                           code="model_not_found")
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise openai_error(400, "Missing required parameter: 'prompt'.", param="prompt",
                           code="missing_required_parameter")
    seconds = fields.get("seconds", "4")
    if not isinstance(seconds, str):
        raise openai_error(400, f"Invalid type for 'seconds': expected one of '4', '8', or '12' (a string), but got "
                                f"{type(seconds).__name__} instead.", param="seconds", code="invalid_type")
    if seconds not in SECONDS:
        raise openai_error(400, f"Invalid value: '{seconds}'. Supported values are: '4', '8', and '12'.",
                           param="seconds", code="invalid_value")
    size = fields.get("size", "720x1280")
    if size not in MODELS[model]:
        allowed = ", ".join(f"'{s}'" for s in MODELS[model])
        raise openai_error(400, f"Invalid value: '{size}'. Supported values for {model} are: {allowed}.",
                           param="size", code="invalid_value")
    if req.content_type == "application/json":
        check_openapi("CreateVideoJsonBody", fields)
    else:
        check_openapi("CreateVideoMultipartBody", {**fields, **({"input_reference": "<file>"} if reference else {})})
    if reference is None and "input_reference" in fields:
        reference = _reference_from_object(fields["input_reference"])
    width, height = (int(v) for v in size.split("x"))
    ref_ext = None
    if reference is not None:
        info = image_info(reference)
        if info is None or info[0] not in REFERENCE_FORMATS:
            raise openai_error(400, "Invalid file format for 'input_reference'. Supported formats are: image/jpeg, "
                                    "image/png, image/webp.", param="input_reference", code="invalid_value")
        if info[1] != (width, height):
            raise openai_error(400, "Inpaint image must match the requested width and height",
                               param="input_reference", code=None)
        ref_ext = REFERENCE_FORMATS[info[0]]
    openai_sync_markers(prompt, srv.retry_after_seconds)
    video_id = f"video_{uuid.uuid4().hex}"
    source = None
    if reference is not None:
        path = srv.state.inputs_dir / "sora" / f"{video_id}.{ref_ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(reference)
        source = str(path.relative_to(srv.data_dir))
    outcome = ("moderation" if marker(prompt, "moderation") else "fail" if marker(prompt, "fail")
               else "stuck" if marker(prompt, "stuck") else "ok")
    job = {"id": video_id, "provider": "openai", "kind": "sora", "created": time.time(),
           "duration": srv.job_seconds, "outcome": outcome, "model": model, "prompt": prompt,
           "seconds": seconds, "size": size, "source": source, "deleted": False}
    srv.state.add_job(job)
    return Response.json(200, video_object(job), _poll_header(srv))


def video_status(job: dict[str, Any]) -> tuple[str, int]:
    phase, fraction = job_phase(job)
    failing = job["outcome"] in ("fail", "moderation")
    if failing and fraction >= FAIL_AT:
        return "failed", int(FAIL_AT * 100)
    if phase == "queued":
        return "queued", 0
    if phase == "running":
        return "in_progress", max(1, min(99, int(fraction * 100)))
    return "completed", 100


def video_object(job: dict[str, Any]) -> dict[str, Any]:
    status, progress = video_status(job)
    created = int(job["created"])
    completed_at = int(job["created"] + job["duration"]) if status in ("completed", "failed") else None
    error = None
    if status == "failed":
        error = ({"code": "moderation_blocked", "message": "Your request was blocked by our moderation system."}
                 if job["outcome"] == "moderation" else
                 {"code": "video_generation_failed", "message": "Video generation failed. Please try again."})
    return {"id": job["id"], "object": "video", "model": job["model"], "status": status, "progress": progress,
            "created_at": created, "completed_at": completed_at,
            "expires_at": completed_at + EXPIRY_SECONDS if status == "completed" and completed_at else None,
            "prompt": job["prompt"], "size": job["size"], "seconds": job["seconds"], "quality": "standard",
            "remixed_from_video_id": None, "error": error}


def _job(srv: "StandIn", video_id: str) -> dict[str, Any]:
    job = srv.state.job(video_id)
    if job is None or job.get("kind") != "sora" or job.get("deleted"):
        raise openai_error(404, f"Video with id '{video_id}' not found.", param="video_id", code="not_found")
    return job


def get_video(srv: "StandIn", req: Request, video_id: str) -> Response:
    return Response.json(200, video_object(_job(srv, video_id)), _poll_header(srv))


LIST_DEFAULT_LIMIT = 20  # unconfirmed: the spec gives no default
LIST_MAX_LIMIT = 100


def _list_limit(req: Request) -> int:
    raw = req.query_value("limit")
    if raw is None:
        return LIST_DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise openai_error(400, "Invalid type for 'limit': expected an integer, but got a string instead.",
                           param="limit", code="invalid_type") from None
    if limit < 0:
        raise openai_error(400, f"Invalid 'limit': integer below minimum value. Expected a value >= 0, but got "
                                f"{limit} instead.", param="limit", code="integer_below_min_value")
    if limit > LIST_MAX_LIMIT:
        raise openai_error(400, f"Invalid 'limit': integer above maximum value. Expected a value <= "
                                f"{LIST_MAX_LIMIT}, but got {limit} instead.", param="limit",
                           code="integer_above_max_value")
    return limit


def list_videos(srv: "StandIn", req: Request) -> Response:
    limit = _list_limit(req)
    order = req.query_value("order", "desc")
    if order not in ("asc", "desc"):
        raise openai_error(400, f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
                           param="order", code="invalid_value")
    jobs = [j for j in srv.state.jobs("openai") if j.get("kind") == "sora" and not j.get("deleted")]
    if order == "desc":
        jobs.reverse()
    after = req.query_value("after")
    if after is not None:
        ids = [j["id"] for j in jobs]
        if after not in ids:
            # Unconfirmed: the real answer to an unknown cursor is not documented.
            raise openai_error(400, f"Invalid value for 'after': no video with id '{after}' in this list.",
                               param="after", code="invalid_value")
        jobs = jobs[ids.index(after) + 1:]
    videos = [video_object(j) for j in jobs[:limit]]
    return Response.json(200, {"object": "list", "data": videos, "first_id": videos[0]["id"] if videos else None,
                               "last_id": videos[-1]["id"] if videos else None, "has_more": len(jobs) > limit})


def delete_video(srv: "StandIn", req: Request, video_id: str) -> Response:
    job = _job(srv, video_id)
    srv.state.update_job(job["id"], deleted=True)
    return Response.json(200, {"id": job["id"], "object": "video.deleted", "deleted": True})


def source_image(srv: "StandIn", job: dict[str, Any], size: tuple[int, int]):  # -> PIL.Image.Image
    if job.get("source"):
        return load_image(srv.data_dir / job["source"])
    return scene_image(job["prompt"], size, 0)


def video_content(srv: "StandIn", req: Request, video_id: str) -> Response:
    job = _job(srv, video_id)
    variant = req.query_value("variant", "video")
    if variant not in ("video", "thumbnail", "spritesheet"):
        raise openai_error(400, f"Invalid value: '{variant}'. Supported values are: 'video', 'thumbnail', and "
                                "'spritesheet'.", param="variant", code="invalid_value")
    status, _ = video_status(job)
    if status != "completed":
        raise openai_error(404, f"Video is not ready yet (status: {status}); use GET /v1/videos/{video_id} to "
                                "check its status.", param="video_id", code="video_not_ready" if status != "failed"
                           else "video_failed")
    size = tuple(int(v) for v in job["size"].split("x"))
    small = small_size(size, srv.video_short_side)  # type: ignore[arg-type]
    folder: Path = srv.state.files_dir / "sora" / job["id"]
    seconds = srv.clip_seconds or float(job["seconds"])
    if variant == "video":
        path = ensure_file(folder / "video.mp4",
                           lambda out: make_video(source_image(srv, job, size), out, small, seconds))
        return Response.send_file(path, "video/mp4")
    if variant == "thumbnail":
        path = ensure_file(folder / "thumbnail.webp", lambda out: out.write_bytes(
            thumbnail(source_image(srv, job, size), small, "webp")))
        return Response.send_file(path, "image/webp")
    path = ensure_file(folder / "spritesheet.jpg", lambda out: out.write_bytes(
        spritesheet(source_image(srv, job, size), small)))
    return Response.send_file(path, "image/jpeg")
