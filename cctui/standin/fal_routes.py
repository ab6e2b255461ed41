"""fal.ai queue API stand-in (prefix `/fal` stands for https://queue.fal.run), strict like fal.

- `POST /fal/{model id}`: the model's input JSON → `{"request_id", "response_url", "status_url",
  "cancel_url", "queue_position"}`. An unknown model → 404 `{"detail"}`; invalid input → 422
  FastAPI-style `{"detail": [{"loc": ["body", field], "msg", "type"}]}` (missing prompt or
  image_url, a value the model does not take, an image_url that is neither https nor a base64
  `data:` URI of a real image). `STANDIN:500` / `STANDIN:ratelimit` in the prompt → 500 / 429.
- `GET /fal/{owner}/{app}/requests/{id}/status[?logs=1]`: IN_QUEUE (with `queue_position`) for
  the first part of `job_seconds`, IN_PROGRESS (with logs), then COMPLETED (202 until then, 200);
  with `STANDIN:fail` COMPLETED carries `error` and `error_type`, and the result answers 500.
- `GET /fal/{owner}/{app}/requests/{id}`: the output `{"video": {"url", "content_type",
  "file_name", "file_size"}, "seed"}`; the URL is on the CDN stand-in below.
- `GET /fal/_platform/v1/models/requests/by-endpoint?endpoint_id=&start=&limit=&cursor=`: fal's
  Platform API list (its real host is api.fal.ai), newest first, `json_input` without the image.
- `GET /_fal_media/files/{id}/video.mp4`: a real H.264 MP4 from the decoded source image, outside
  the `/fal` prefix so that no key is asked for, as on fal's public CDN. A request that carries an
  Authorization header there is logged (a client must never send its key to a CDN).

Unconfirmed: the texts of fal's 401/404 bodies and of a failed run's `error`, `error_type`'s
value, the answer to a result asked for too early, and queued requests being listed.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .errors import RouteError, marker, retry_headers
from .http_layer import Request, Response
from .jobs import job_phase
from .media_factory import ensure_file, image_info, load_image, make_video, scene_image, small_size

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

log = logging.getLogger(__name__)

CDN = "/_fal_media/files"
IMAGE_FORMATS = ("png", "jpeg", "webp")
DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,(?P<data>.*)", re.DOTALL)
_ASPECTS = ("auto", "16:9", "9:16", "1:1")
_KLING = {"duration": ("enum", ("5", "10")), "cfg_scale": ("number", 0.0, 1.0)}
# Each model's checked input fields (beyond the required prompt and image_url); others are ignored.
SCHEMAS: dict[str, dict[str, tuple]] = {
    "fal-ai/wan/v2.2-a14b/image-to-video": {
        "num_frames": ("int", 17, 161), "frames_per_second": ("int", 4, 60),
        "resolution": ("enum", ("480p", "580p", "720p")), "aspect_ratio": ("enum", _ASPECTS),
        "seed": ("int", 0, 2**32)},
    "fal-ai/kling-video/v2.5-turbo/pro/image-to-video": _KLING,
    "fal-ai/kling-video/v2.1/standard/image-to-video": _KLING,
    "fal-ai/veo3/fast/image-to-video": {
        "duration": ("enum", ("4s", "6s", "8s")), "aspect_ratio": ("enum", ("auto", "16:9", "9:16")),
        "resolution": ("enum", ("720p", "1080p")), "generate_audio": ("bool",), "seed": ("int", 0, 2**32)},
}


def register(router: "Router", prefix: str) -> None:
    app = prefix + r"/(?P<owner>[\w.-]+)/(?P<app>[\w.-]+)/requests/(?P<request_id>[0-9a-f-]{36})"
    router.add("GET", prefix + "/_platform/v1/models/requests/by-endpoint", list_requests)
    router.add("GET", app + "/status", request_status)
    router.add("GET", app, request_result)
    router.add("POST", prefix + r"/(?P<model_id>[\w.-]+(?:/[\w.-]+)+)", submit)
    router.add("GET", CDN + r"/(?P<request_id>[0-9a-f-]{36})/video\.mp4", serve_video)


def fal_error(status: int, detail: Any, headers: dict[str, str] | None = None) -> RouteError:
    return RouteError(Response.json(status, {"detail": detail}, headers))


def invalid(field: str, msg: str, type_: str) -> RouteError:
    return fal_error(422, [{"loc": ["body", field], "msg": msg, "type": type_}])


def _check_field(name: str, value: Any, rule: tuple) -> None:
    kind = rule[0]
    if kind == "enum" and value not in rule[1]:
        allowed = ", ".join(f"'{v}'" for v in rule[1])
        raise invalid(name, f"unexpected value; permitted: {allowed}", "literal_error")
    if kind in ("int", "number"):
        ok_type = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            raise invalid(name, f"Input should be a valid {'integer' if kind == 'int' else 'number'}",
                          f"{'int' if kind == 'int' else 'float'}_type")
        if not rule[1] <= value <= rule[2]:
            raise invalid(name, f"Input should be between {rule[1]} and {rule[2]}", "value_error")
    if kind == "bool" and not isinstance(value, bool):
        raise invalid(name, "Input should be a valid boolean", "bool_type")


def _image(value: Any) -> bytes | None:
    """The decoded image of a data URI, None for an https URL; 422 for anything else."""
    if isinstance(value, str) and value.startswith("https://"):
        return None
    match = DATA_URI.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise invalid("image_url", "Input should be an https URL or a base64 data URI of an image", "url_parsing")
    try:
        data = base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("image_url", "The data URI is not valid base64", "value_error") from None
    info = image_info(data)
    if info is None or info[0] not in IMAGE_FORMATS:
        raise invalid("image_url", "The data URI does not hold a png, jpeg or webp image", "value_error")
    return data


def _urls(req: Request, job: dict[str, Any]) -> dict[str, str]:
    base = f"{req.base_url}/fal/{job['app']}/requests/{job['id']}"
    return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}


def submit(srv: "StandIn", req: Request, model_id: str) -> Response:
    schema = SCHEMAS.get(model_id)
    if schema is None:
        raise fal_error(404, f"Application '{model_id}' not found")
    body = req.json()
    if not isinstance(body, dict):
        raise invalid("body", "Input should be a valid dictionary", "dict_type")
    for name in ("prompt", "image_url"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise invalid(name, "Field required", "missing")
    image = _image(body["image_url"])
    for name, rule in schema.items():
        if name in body:
            _check_field(name, body[name], rule)
    prompt = body["prompt"]
    if marker(prompt, "ratelimit"):
        raise fal_error(429, "Rate limit exceeded", retry_headers(srv.retry_after_seconds))
    if marker(prompt, "500"):
        raise fal_error(500, "Internal server error")
    request_id = str(uuid.uuid4())
    source = _save_input(srv, request_id, image) if image is not None else None
    job = {"id": request_id, "provider": "fal", "kind": "fal", "created": time.time(),
           "duration": srv.job_seconds, "outcome": "fail" if marker(prompt, "fail") else "ok",
           "model": model_id, "app": "/".join(model_id.split("/")[:2]), "prompt": prompt, "source": source,
           "input": {k: v for k, v in body.items() if k != "image_url"}, "seed": body.get("seed", 42)}
    srv.state.add_job(job)
    return Response.json(200, {"request_id": request_id, **_urls(req, job), "queue_position": _position(srv, job)})


def _save_input(srv: "StandIn", request_id: str, data: bytes) -> str:
    """The decoded source image, kept in the state directory (a restart still has it)."""
    path = srv.state.inputs_dir / "fal" / f"{request_id}.img"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path.relative_to(srv.data_dir))


def _position(srv: "StandIn", job: dict[str, Any]) -> int:
    return sum(1 for other in srv.state.jobs("fal")
               if other["created"] < job["created"] and job_phase(other)[0] == "queued")


def _job(srv: "StandIn", owner: str, app: str, request_id: str) -> dict[str, Any]:
    job = srv.state.job(request_id)
    if job is None or job.get("provider") != "fal" or job["app"] != f"{owner}/{app}":
        raise fal_error(404, "Request not found")
    return job


def request_status(srv: "StandIn", req: Request, owner: str, app: str, request_id: str) -> Response:
    job = _job(srv, owner, app, request_id)
    phase, fraction = job_phase(job)
    answer: dict[str, Any] = {"request_id": request_id, **_urls(req, job)}
    logs = [{"message": "Loading the model", "level": "INFO", "source": "user",
             "timestamp": datetime.now(timezone.utc).isoformat()}]
    if phase == "queued":
        return Response.json(202, {**answer, "status": "IN_QUEUE", "queue_position": _position(srv, job)})
    with_logs = req.query_value("logs") == "1"
    if phase == "running":
        return Response.json(202, {**answer, "status": "IN_PROGRESS", "logs": logs if with_logs else None})
    answer.update(status="COMPLETED", logs=logs if with_logs else None, metrics={"inference_time": job["duration"]})
    if job["outcome"] == "fail":
        answer.update(error="Video generation failed: the model could not animate this image.",
                      error_type="runner_server_error")
    return Response.json(200, answer)


def _video_path(srv: "StandIn", job: dict[str, Any]):
    # An https image_url is not fetched: the clip is drawn from the prompt instead.
    source = (load_image(srv.data_dir / job["source"]) if job.get("source")
              else scene_image(job["prompt"], (720, 1280), 0))
    size = small_size(source.size, srv.video_short_side)
    return ensure_file(srv.state.files_dir / "fal" / job["id"] / "video.mp4",
                       lambda out: make_video(source, out, size, srv.clip_seconds or 2.0))


def request_result(srv: "StandIn", req: Request, owner: str, app: str, request_id: str) -> Response:
    job = _job(srv, owner, app, request_id)
    if job_phase(job)[0] != "done":
        raise fal_error(400, "Request is still in progress")
    if job["outcome"] == "fail":
        raise fal_error(500, "Video generation failed: the model could not animate this image.",
                        {"x-fal-error-type": "runner_server_error"})
    path = _video_path(srv, job)
    video = {"url": f"{req.base_url}{CDN}/{job['id']}/video.mp4", "content_type": "video/mp4",
             "file_name": "video.mp4", "file_size": path.stat().st_size}
    return Response.json(200, {"video": video, "seed": job.get("seed")})


def serve_video(srv: "StandIn", req: Request, request_id: str) -> Response:
    if req.header("authorization"):
        log.warning("a request to the fal CDN stand-in carried an Authorization header: %s", req.path)
    job = srv.state.job(request_id)
    if job is None or job.get("provider") != "fal" or job_phase(job)[0] != "done" or job["outcome"] == "fail":
        raise RouteError(Response.raw(404, b"Not Found", "text/plain"))
    return Response.send_file(_video_path(srv, job), "video/mp4")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _query_error(name: str, msg: str, type_: str) -> RouteError:
    return fal_error(422, [{"loc": ["query", name], "msg": msg, "type": type_}])


def list_requests(srv: "StandIn", req: Request) -> Response:
    endpoint = req.query_value("endpoint_id")
    if not endpoint:
        raise _query_error("endpoint_id", "Field required", "missing")
    try:
        limit = int(req.query_value("limit", "50"))
        page = int(base64.b64decode(req.query_value("cursor") or "MA==").decode())
        raw = req.query_value("start")
        start = (datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw
                 else datetime.now(timezone.utc) - timedelta(hours=24))
    except (ValueError, binascii.Error):
        raise _query_error("limit", "Invalid limit, cursor or start", "value_error") from None
    if not 1 <= limit <= 100:
        raise _query_error("limit", "Input should be between 1 and 100", "value_error")
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    jobs = [j for j in srv.state.jobs("fal") if j["model"] == endpoint and j["created"] >= start.timestamp()]
    jobs.reverse()
    shown = jobs[page * limit:(page + 1) * limit]
    items = [{"request_id": j["id"], "endpoint_id": j["model"], "sent_at": _iso(j["created"]),
              "started_at": _iso(j["created"]), "ended_at": _iso(j["created"] + j["duration"]),
              "status_code": 500 if j["outcome"] == "fail" else 200, "duration": j["duration"],
              "json_input": {**j["input"], "image_url": "<omitted>"}} for j in shown]
    more = len(jobs) > (page + 1) * limit
    return Response.json(200, {"items": items, "has_more": more,
                               "next_cursor": base64.b64encode(str(page + 1).encode()).decode() if more else None})
