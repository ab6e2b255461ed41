"""ComfyUI's HTTP and websocket API, per host, under `/comfyui/<host>` (and its `/api` alias).

`GET /system_stats`, `/object_info[/{class}]`, `/features`, `/models[/{folder}]`;
`POST /upload/image` (multipart `image`, `overwrite`, `type`, `subfolder`; a part Pillow cannot
open is refused here, stricter than ComfyUI); `POST /prompt` (validated as `comfyui_graph`
does), `GET /prompt`, `GET|POST /queue`, `POST /interrupt`, `GET|POST /history[/{id}]`,
`GET /view`, `GET /ws?clientId=` (see `comfyui_timeline` for what it sends and when).
A host with a `token` answers 401 to any request without `Authorization: Bearer <token>`.
Errors are aiohttp's: bare statuses, `404: Not Found` text, 500 for a body that is not JSON.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import threading
import time
import uuid
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import comfyui_timeline, websocket
from .comfyui_hosts import VRAM_TOTAL, ComfyHost
from .http_layer import BadRequestBody, Request, Response
from .media_factory import image_info

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

TICK = 0.03  # how often a websocket looks at the clock for messages that are due
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}


def plain(status: int) -> Response:
    """An aiohttp HTTPException's answer."""
    return Response.raw(status, f"{status}: {REASONS[status]}".encode(), "text/plain; charset=utf-8")


def bare(status: int) -> Response:
    """`web.Response(status=N)`: no body."""
    return Response.raw(status, b"", "application/octet-stream")


def server_error() -> Response:
    return Response.raw(500, b"500 Internal Server Error\n\nServer got itself in trouble",
                        "text/plain; charset=utf-8")


def register(router: "Router", prefix: str) -> None:
    base = prefix + r"/(?P<host>[a-z0-9-]+)(?:/api)?"
    for method, path, handler in [
        ("GET", "/system_stats", system_stats), ("GET", "/object_info", object_info),
        ("GET", r"/object_info/(?P<node_class>[^/]+)", object_info), ("GET", "/features", features),
        ("GET", "/models", models), ("GET", r"/models/(?P<folder>[^/]+)", models),
        ("POST", "/upload/image", upload_image), ("POST", "/prompt", post_prompt), ("GET", "/prompt", get_prompt),
        ("GET", "/queue", get_queue), ("POST", "/queue", post_queue), ("POST", "/interrupt", interrupt),
        ("GET", "/history", get_history), ("GET", r"/history/(?P<prompt_id>[^/]+)", get_history),
        ("POST", "/history", post_history), ("GET", "/view", view), ("GET", "/ws", open_socket),
    ]:
        router.add(method, base + path, _on_host(handler))


def _on_host(handler: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(handler)
    def route(srv: "StandIn", req: Request, host: str, **groups: str) -> Response:
        found = srv.comfy.get(host)
        if found is None:
            return plain(404)
        if found.token is not None and req.header("authorization") != f"Bearer {found.token}":
            return plain(401)
        return handler(found, req, **groups)

    return route


def _json_body(req: Request, *, optional: bool = False) -> Any:
    if optional and not req.body:
        return {}
    try:
        return req.json()
    except BadRequestBody:
        return None


# --------------------------------------------------------------------------- what the host has


def system_stats(host: ComfyHost, req: Request) -> Response:
    return Response.json(200, {
        "system": {"os": "posix", "ram_total": 67_297_800_192, "ram_free": 51_380_264_960,
                   "comfyui_version": "0.3.66", "required_frontend_version": "1.28.7",
                   "python_version": "3.12.3 (main, Feb  4 2025, 14:48:35) [GCC 13.3.0]",
                   "pytorch_version": "2.8.0+cu128", "embedded_python": False, "argv": ["main.py"]},
        "devices": [{"name": host.device, "type": "cuda", "index": 0, "vram_total": VRAM_TOTAL,
                     "vram_free": host.vram_free, "torch_vram_total": 0, "torch_vram_free": 0}]})


def object_info(host: ComfyHost, req: Request, node_class: str | None = None) -> Response:
    nodes = host.catalogue()
    if node_class is None:
        return Response.json(200, nodes)
    return Response.json(200, {node_class: nodes[node_class]} if node_class in nodes else {})


def features(host: ComfyHost, req: Request) -> Response:
    return Response.json(200, {"supports_preview_metadata": True, "max_upload_size": 104_857_600})


MODEL_FOLDERS = {"checkpoints": "CheckpointLoaderSimple", "diffusion_models": "UNETLoader",
                 "text_encoders": "CLIPLoader", "vae": "VAELoader"}


def models(host: ComfyHost, req: Request, folder: str | None = None) -> Response:
    if folder is None:
        return Response.json(200, list(MODEL_FOLDERS))
    if folder not in MODEL_FOLDERS:
        return plain(404)
    info = host.catalogue().get(MODEL_FOLDERS[folder])
    return Response.json(200, info["input"]["required"][next(iter(info["input"]["required"]))][0] if info else [])


# --------------------------------------------------------------------------- files


def upload_image(host: ComfyHost, req: Request) -> Response:
    try:
        parts = {p.name: p for p in req.parts()}
    except BadRequestBody:
        return bare(400)
    image = parts.get("image")
    if image is None or image.filename is None or not image.filename:
        return bare(400)
    kind = parts["type"].text if "type" in parts else None
    kind = kind if kind in ("temp", "output") else "input"
    folder = host.folder(kind)
    assert folder is not None
    subfolder = parts["subfolder"].text if "subfolder" in parts else ""
    full = os.path.join(str(folder), os.path.normpath(subfolder))
    path = os.path.abspath(os.path.join(full, image.filename))
    if os.path.commonpath((str(folder), path)) != str(folder):
        return bare(400)
    if image_info(image.data) is None:
        return bare(400)  # ComfyUI stores anything; its LoadImage would fail on it later
    overwrite = parts["overwrite"].text if "overwrite" in parts else None
    filename = image.filename
    if overwrite not in ("true", "1"):
        stem, ext = os.path.splitext(filename)
        counter = 1
        while os.path.exists(path) and not _same_bytes(path, image.data):
            filename = f"{stem} ({counter}){ext}"
            path = os.path.join(full, filename)
            counter += 1
    os.makedirs(full, exist_ok=True)
    with open(path, "wb") as out:
        out.write(image.data)
    return Response.json(200, {"name": filename, "subfolder": subfolder, "type": kind})


def _same_bytes(path: str, data: bytes) -> bool:
    with open(path, "rb") as existing:
        return hashlib.sha256(existing.read()).digest() == hashlib.sha256(data).digest()


def view(host: ComfyHost, req: Request) -> Response:
    filename = req.query_value("filename")
    if filename is None:
        return bare(404)
    kind = req.query_value("type", "output")
    for annotation in ("output", "input", "temp"):
        if filename.endswith(f" [{annotation}]"):
            filename, kind = filename[: -len(annotation) - 3], annotation
    if not filename or filename.startswith("/") or ".." in filename:
        return bare(400)
    folder = host.folder(kind)
    if folder is None:
        return bare(400)
    subfolder = req.query_value("subfolder")
    full = os.path.abspath(os.path.join(str(folder), subfolder)) if subfolder is not None else str(folder)
    if os.path.commonpath((full, str(folder))) != str(folder):
        return bare(403)
    path = os.path.join(full, os.path.basename(filename))
    if not os.path.isfile(path):
        return bare(404)
    name = os.path.basename(path)
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if ctype in ("text/html", "application/xhtml+xml", "text/javascript", "text/css"):
        ctype = "application/octet-stream"  # ComfyUI forces these to download
    return Response.send_file(Path(path), ctype, {"content-disposition": f'filename="{name}"'})


# --------------------------------------------------------------------------- the queue


def post_prompt(host: ComfyHost, req: Request) -> Response:
    body = _json_body(req)
    if not isinstance(body, dict):
        return server_error()
    try:
        status, answer = host.queue_prompt(body)
    except (TypeError, ValueError):
        return server_error()
    return Response.json(status, answer)


def get_prompt(host: ComfyHost, req: Request) -> Response:
    return Response.json(200, {"exec_info": {"queue_remaining": host.remaining()}})


def get_queue(host: ComfyHost, req: Request) -> Response:
    running, pending = host.lists()
    return Response.json(200, {"queue_running": [i.as_list() for i in running],
                               "queue_pending": [i.as_list() for i in pending]})


def post_queue(host: ComfyHost, req: Request) -> Response:
    body = _json_body(req)
    if not isinstance(body, dict):
        return server_error()
    if body.get("clear"):
        host.clear()
    if "delete" in body:
        host.delete(list(body["delete"] or []))
    return bare(200)


def interrupt(host: ComfyHost, req: Request) -> Response:
    body = _json_body(req, optional=True)
    prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
    host.interrupt(str(prompt_id) if prompt_id else None)
    return bare(200)


def get_history(host: ComfyHost, req: Request, prompt_id: str | None = None) -> Response:
    try:
        max_items = int(req.query_value("max_items")) if req.query_value("max_items") else None
        offset = int(req.query_value("offset", "-1") or -1)
    except ValueError:
        return server_error()
    items = host.finished(prompt_id, max_items, offset)
    return Response.json(200, {i.prompt_id: comfyui_timeline.history_entry(i) for i in items})


def post_history(host: ComfyHost, req: Request) -> Response:
    body = _json_body(req)
    if not isinstance(body, dict):
        return server_error()
    if body.get("clear"):
        host.forget(None)
    if "delete" in body:
        host.forget(list(body["delete"] or []))
    return bare(200)


# --------------------------------------------------------------------------- the websocket


def open_socket(host: ComfyHost, req: Request) -> Response:
    sid = req.query_value("clientId") or uuid.uuid4().hex
    return websocket.upgrade(req, lambda ws: _serve_socket(host, ws, sid))


def _status(host: ComfyHost, sid: str | None = None) -> tuple[int, dict[str, Any]]:
    remaining = host.remaining()
    data: dict[str, Any] = {"status": {"exec_info": {"queue_remaining": remaining}}}
    if sid is not None:
        data["sid"] = sid
    return remaining, {"type": "status", "data": data}


def _serve_socket(host: ComfyHost, ws: websocket.WebSocket, sid: str) -> None:
    """Send this client's messages as they fall due; a reader thread answers pings and closes."""
    with host.lock:
        host.sockets.add(ws)
    reader = threading.Thread(target=lambda: _drain(ws), name=f"comfy-ws-{sid[:8]}", daemon=True)
    reader.start()
    try:
        last_remaining, message = _status(host, sid)
        ws.send_json(message)
        since = time.time()
        while not ws.closed.wait(TICK):
            now = time.time()
            mine = _runs_of(host, sid, since, now)
            try:
                for item in mine:
                    if item.end is not None and item.end <= now:
                        host.finish(item)  # its files exist before `executed` names them
            except Exception:
                if ws.closed.is_set():  # the stand-in stopped (and took its folders) mid-way
                    return
                raise
            remaining, message = _status(host)
            if remaining > last_remaining:  # queued: ComfyUI says so before the run starts
                ws.send_json(message)
            for _, kind, data in sorted((e for i in mine for e in comfyui_timeline.events(i, now) if e[0] > since),
                                        key=lambda e: e[0]):
                sent = ws.send_binary(data) if kind == "preview" else ws.send_json({"type": kind, "data": data})
                if not sent:
                    return
            if remaining < last_remaining:  # done: after its last message
                ws.send_json(message)
            last_remaining, since = remaining, now
    finally:
        with host.lock:
            host.sockets.discard(ws)
        ws.close(1000)


def _runs_of(host: ComfyHost, sid: str, since: float, now: float) -> list[Any]:
    """This client's runs that were going at some time between `since` and `now`."""
    with host.lock:
        host.advance(now)
        items = list(host.queue) + list(host.history.values())[-50:]
    return [i for i in items if i.client_id == sid and i.start is not None and i.start <= now
            and (i.end is None or i.end > since)]


def _drain(ws: websocket.WebSocket) -> None:
    while ws.receive() is not None:
        pass  # ComfyUI ignores what clients send (feature flags aside)

