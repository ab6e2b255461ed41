"""`StandIn`: one local HTTP server that plays OpenAI, Leonardo.Ai and ElevenLabs for tests.

    srv = StandIn(keys={"openai": "sk-test", "leonardo": "leo-test", "elevenlabs": "el-test"},
                  job_seconds=2.0, data_dir=tmp_path)   # keys None = any non-empty key
    srv.start()                       # 127.0.0.1, free port, daemon thread
    srv.base_urls                     # {"openai", "sora", "leonardo", "elevenlabs"} base URLs
    srv.requests, srv.count("POST", "/openai/v1/videos"), srv.submit_counts()
    srv.inject(r"/videos$", 429, headers={"retry-after": "1"}, times=2)
    srv.stop()

Paths: OpenAI (and Sora) under `/openai/v1`, Leonardo under `/leonardo/api/rest/v1`, ElevenLabs
under `/elevenlabs`, fal.ai's queue under `/fal` (its CDN files under `/_fal_media/`, see
`fal_routes`); the presigned upload target is `/_bucket/upload`, Leonardo's CDN files are
under `/_files/`, and the stand-in's own control endpoints under `/_standin/`:
`GET /_standin/requests` (persisted submit counts), `GET /_standin/log` (recorded requests),
`POST /_standin/inject` (a fault, JSON with the `inject` arguments), `DELETE /_standin/faults`,
`GET /_standin/served` (sha256 and size of every file served, see `served`),
`GET /_standin/fault-log` (the random fault mode's draws, see `fault_mode`),
`POST /_standin/fault-mode` (`{"enabled": false}` pauses the random fault mode).

`StandIn(comfy_hosts={"gpu1": {}, "gpu2": {"busy": 3}})` serves each ComfyUI host under
`/comfyui/<name>` (`srv.comfy_urls`; default one host, `gpu1`); see `comfyui_hosts` for the options
and `comfyui_routes` for the API.

`StandIn(stream_seconds=S)` spreads every streamed answer (`stream: true`) over S seconds.

`StandIn(fault_rate=0.2, fault_seed=N)` answers a random fraction of requests with failures
(429, 500, 503, timeouts, resets, truncated bodies, malformed JSON); see `fault_mode`.
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from . import (comfyui_routes, elevenlabs_routes, fal_routes, leonardo_routes, openai_audio_routes, openai_routes,
               sora_routes)
from .errors import RouteError, default_body, leonardo_body, openai_body
from .fault_mode import BEFORE, MALFORMED_BODY, RandomFaults
from .comfyui_hosts import ComfyHosts
from .faults import Fault, FaultBook
from .http_layer import BadRequestBody, Request, Response
from .http_server import HTTPServer, RequestHandler, Router
from .jobs import StateStore
from .records import RecordedRequest, RequestLog, record_of
from .served import ServedFiles

PREFIXES = {
    "openai": "/openai/v1",
    "leonardo": "/leonardo/api/rest/v1",
    "elevenlabs": "/elevenlabs",
    "fal": "/fal",  # https://queue.fal.run
    "comfyui": "/comfyui",  # then /<host>: each host is a ComfyUI server of its own
}


class StandIn:
    """The provider stand-in. Thread-safe; start() once, stop() once (also a context manager)."""

    def __init__(self, keys: dict[str, str] | None = None, job_seconds: float = 2.0,
                 data_dir: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 upload_expiry_seconds: float = 120.0, retry_after_seconds: float = 1.0,
                 clip_seconds: float = 2.0, video_short_side: int = 360, verbose: bool = False,
                 fault_rate: float = 0.0, fault_seed: int = 0, fault_kinds: list[str] | None = None,
                 fault_timeout: float = 5.0, fault_paths: str | None = None, stream_seconds: float = 0.0,
                 comfy_hosts: dict[str, dict[str, Any]] | None = None):
        self.keys = dict(keys) if keys else None
        self.job_seconds = float(job_seconds)
        self.host = host
        self._requested_port = int(port)
        self.upload_expiry_seconds = float(upload_expiry_seconds)
        self.retry_after_seconds = float(retry_after_seconds)
        self.clip_seconds = float(clip_seconds)
        self.video_short_side = int(video_short_side)
        self.verbose = verbose
        # A streamed answer's events are spread over this long (a real model writes for 10-30 s).
        self.stream_seconds = float(stream_seconds)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cctui-standin-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.state = StateStore(self.data_dir)
        self.faults = FaultBook()
        self.random_faults = (RandomFaults(fault_rate, fault_seed, fault_kinds, timeout_seconds=fault_timeout,
                                           retry_after=retry_after_seconds, paths=fault_paths)
                              if fault_rate > 0 else None)
        self.served = ServedFiles(self.data_dir)
        self.log = RequestLog()
        self.comfy = ComfyHosts(self, comfy_hosts)  # see comfyui_hosts for the options
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.router = Router()
        openai_routes.register(self.router, PREFIXES["openai"])
        openai_audio_routes.register(self.router, PREFIXES["openai"])
        sora_routes.register(self.router, PREFIXES["openai"])
        leonardo_routes.register(self.router, PREFIXES["leonardo"])
        elevenlabs_routes.register(self.router, PREFIXES["elevenlabs"])
        fal_routes.register(self.router, PREFIXES["fal"])
        comfyui_routes.register(self.router, PREFIXES["comfyui"])
        self.router.add("GET", "/_standin/requests", lambda srv, req: Response.json(200, srv.control_counts()))
        self.router.add("GET", "/_standin/log", lambda srv, req: Response.json(
            200, {"requests": [r.to_json() for r in srv.requests]}))
        self.router.add("POST", "/_standin/inject", _control_inject)
        self.router.add("DELETE", "/_standin/faults", _control_clear)
        self.router.add("GET", "/_standin/served", lambda srv, req: Response.json(
            200, {"files": srv.served.entries()}))
        self.router.add("GET", "/_standin/fault-log", lambda srv, req: Response.json(
            200, {"mode": srv.random_faults.describe() if srv.random_faults else None,
                  "faults": srv.random_faults.entries() if srv.random_faults else []}))
        self.router.add("POST", "/_standin/fault-mode", _control_fault_mode)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "StandIn":
        if self._server is not None:
            raise RuntimeError("stand-in already started")
        server = HTTPServer((self.host, self._requested_port), self)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"standin-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.comfy.close()  # open websockets would keep their handler threads
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "StandIn":
        return self.start() if self._server is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("stand-in not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_urls(self) -> dict[str, str]:
        base = self.base_url
        return {"openai": base + PREFIXES["openai"], "sora": base + PREFIXES["openai"],
                "leonardo": base + PREFIXES["leonardo"], "elevenlabs": base + PREFIXES["elevenlabs"],
                "fal": base + PREFIXES["fal"]}

    @property
    def comfy_urls(self) -> dict[str, str]:
        """ComfyUI host name -> its base URL (`<base>/prompt`, `<base>/ws`, ...)."""
        return self.comfy.urls(self.base_url + PREFIXES["comfyui"])

    # ------------------------------------------------------------------ observing and faults

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received since start (in this process), oldest first."""
        return self.log.snapshot()

    def count(self, method: str, path: str, *, regex: bool = False) -> int:
        """How many requests with this method ("*" = any) had exactly this path (with
        `regex=True`: a path in which `re.search(path, ...)` finds a match)."""
        return self.log.count(method, path, regex=regex)

    def clear_requests(self) -> None:
        self.log.clear()

    def submit_counts(self) -> dict[str, Any]:
        """Persisted counts: every POST received per "POST /path" (`submits`), the 2xx ones
        (`accepted`), the number of jobs, credits spent; they survive restarts."""
        return self.state.counts()

    def control_counts(self) -> dict[str, Any]:
        return {**self.state.counts(), "faults": self.faults.describe(),
                "fault_mode": self.random_faults.describe() if self.random_faults else None}

    def inject(self, path_regex: str, status: int | None = None, body: Any = None,
               headers: dict[str, str] | None = None, times: int | None = 1, *, method: str | None = None,
               truncate: bool = False, delay: float = 0.0, hold: float = 0.0, throttle: float = 0.0,
               drop_if_gone: bool = False, action: str | None = None, after: bool = False) -> Fault:
        """The next `times` requests whose path matches get this answer (see `faults`)."""
        return self.faults.add(path_regex, status, body, headers, times, method=method, truncate=truncate,
                               delay=delay, hold=hold, throttle=throttle, drop_if_gone=drop_if_gone,
                               action=action, after=after)

    def record_served(self, data: bytes, content_type: str | None, request_path: str) -> str:
        """Remember a media file handed out inside an answer (not as a file response)."""
        return self.served.add(data, content_type, request_path)

    def clear_faults(self) -> None:
        self.faults.clear()

    def jobs(self, provider: str | None = None) -> list[dict[str, Any]]:
        return self.state.jobs(provider)

    # ------------------------------------------------------------------ request handling

    def provider_of(self, path: str) -> str | None:
        for name, prefix in PREFIXES.items():
            if path == prefix or path.startswith(prefix + "/"):
                return name
        return None

    def key_ok(self, provider: str, req: Request) -> bool:
        if provider == "elevenlabs":
            got = req.header("xi-api-key")
        elif provider == "fal":
            auth = req.header("authorization") or ""
            got = auth[4:].strip() if auth[:4].lower() == "key " else None
        else:
            auth = req.header("authorization") or ""
            got = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if not got:
            return False
        expected = (self.keys or {}).get(provider)
        return expected is None or got == expected

    def auth_error(self, provider: str, req: Request) -> Response | None:
        if provider == "comfyui" or self.key_ok(provider, req):  # a ComfyUI host checks its own token
            return None
        if provider == "openai":
            missing = not req.header("authorization")
            message = ("You didn't provide an API key. You need to provide your API key in an Authorization "
                       "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)." if missing else
                       "Incorrect API key provided. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.")
            return Response.json(401, openai_body(message, code="invalid_api_key"))
        if provider == "leonardo":
            return Response.json(401, leonardo_body("authentication hook unauthorized this request",
                                                    "access-denied"))
        if provider == "fal":
            # unconfirmed: fal's exact wording for a missing and for a wrong key
            missing = not req.header("authorization")
            return Response.json(401, {"detail": "Authentication is required to perform this action" if missing
                                       else "No user found for Key ID and Secret"})
        return Response.json(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})

    def not_found(self, provider: str | None, req: Request, known_path: bool) -> Response:
        status = 405 if known_path else 404
        if provider == "comfyui":
            return comfyui_routes.plain(status)
        if provider == "openai":
            return Response.json(status, openai_body(f"Invalid URL ({req.method} {req.path[len('/openai'):]})"))
        if provider == "leonardo":
            return Response.json(status, leonardo_body("no such endpoint", "not-found"))
        if provider in ("elevenlabs", "fal"):
            return Response.json(status, {"detail": "Not Found" if status == 404 else "Method Not Allowed"})
        return Response.json(status, {"error": "not found"})

    def handle(self, req: Request, handler: RequestHandler) -> None:
        provider = self.provider_of(req.path)
        record = record_of(req, provider)
        if not req.path.startswith("/_standin/"):  # control calls are not part of the record
            self.log.add(record)
        submit = req.method == "POST" and (provider is not None or req.path == "/_bucket/upload")
        if submit:
            self.state.count("submits", f"POST {req.path}")
        fault = self.faults.take(req.method, req.path)
        random_kind = self.random_faults.pick(req.method, req.path) if self.random_faults else None
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.drop_if_gone and handler.client_gone():
            # The client hung up while its request was in flight: as if it never fully arrived.
            record.injected = True
            self.faults.note(fault, "dropped")
            handler.abort()
            return
        truncate = bool(fault and fault.truncate) or random_kind == "truncate"
        dispatched = False
        if fault and fault.status is not None and not fault.after:
            record.injected = True
            resp = self._fault_response(fault, provider)
        elif random_kind in BEFORE:
            record.injected = True
            resp = self._random_fault_response(random_kind, provider)
        else:
            resp = self._dispatch(req, provider)
            dispatched = True
        if provider == "openai":
            resp.headers.setdefault("x-request-id", f"req_{uuid.uuid4().hex}")
            resp.headers.setdefault("openai-processing-ms", "12")
        if dispatched and 200 <= resp.status < 300:
            if submit:
                # The provider did the work (and charged), whatever the client gets to see of it.
                self.state.count("accepted", f"POST {req.path}")
            if resp.file is not None:
                self.served.add(resp.payload(), resp.headers.get("content-type"), req.path)
        if fault and fault.hold:
            self.faults.note(fault, "held")
            time.sleep(fault.hold)
        if fault and fault.after and fault.status is not None:
            record.injected = True
            resp = self._fault_response(fault, provider)
        if (fault and fault.action == "reset") or random_kind in ("reset", "timeout"):
            record.injected = True
            if random_kind == "timeout" and self.random_faults is not None:
                time.sleep(self.random_faults.timeout_seconds)
            handler.abort()
            if fault:
                self.faults.note(fault, "finished")
            return
        if (fault and fault.action == "malformed") or random_kind == "malformed":
            record.injected = True
            kept = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-type", "content-length")}
            if resp.events is not None:  # a stream whose event is cut-off JSON
                resp = Response.event_stream(200, [b"data: " + MALFORMED_BODY + b"\n\n"], kept)
            else:
                resp = Response.raw(200, MALFORMED_BODY, "application/json", kept)
        if random_kind == "500":
            record.injected = True
            resp = Response.json(500, default_body(provider, 500))
        if truncate:
            record.injected = True
        record.status = resp.status
        throttle = fault.throttle if fault else 0.0
        if throttle:
            self.faults.note(fault, "held")
        elif resp.events is not None:
            throttle = self.stream_seconds
        handler.write_response(req, resp, truncate=truncate, throttle=throttle)
        if fault:
            self.faults.note(fault, "finished")

    def _random_fault_response(self, kind: str, provider: str | None) -> Response:
        status = int(kind)
        resp = Response.json(status, default_body(provider, status))
        if status == 429 and self.random_faults is not None:
            seconds = self.random_faults.retry_after
            resp.headers.update({"retry-after": f"{seconds:g}", "retry-after-ms": str(int(round(seconds * 1000)))})
        return resp

    def _fault_response(self, fault: Fault, provider: str | None) -> Response:
        body = fault.body if fault.body is not None else default_body(provider, fault.status or 500)
        if isinstance(body, (dict, list)):
            resp = Response.json(fault.status or 500, body)
        elif isinstance(body, str):
            resp = Response.raw(fault.status or 500, body.encode("utf-8"), "text/plain; charset=utf-8")
        else:
            resp = Response.raw(fault.status or 500, bytes(body), "application/octet-stream")
        resp.headers.update({k.lower(): str(v) for k, v in fault.headers.items()})
        return resp

    def _dispatch(self, req: Request, provider: str | None) -> Response:
        try:
            route, groups, known = self.router.match(req.method, req.path)
            if provider is not None:
                denied = self.auth_error(provider, req)
                if denied is not None:
                    return denied
            if route is None:
                return self.not_found(provider, req, known)
            return route(self, req, **groups)
        except RouteError as exc:
            return exc.response
        except BadRequestBody as exc:
            if provider == "openai":
                return Response.json(400, openai_body(
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                    f"using your HTTP library correctly.) {exc}"))
            if provider == "leonardo":
                return Response.json(400, leonardo_body(str(exc), "bad-request"))
            if provider in ("elevenlabs", "fal"):
                return Response.json(422, {"detail": [{"type": "json_invalid", "loc": ["body"], "msg": str(exc),
                                                       "input": None}]})
            return Response.json(400, {"error": str(exc)})
        except Exception:  # noqa: BLE001 - a stand-in bug must answer 500, not hang the client
            traceback.print_exc(file=sys.stderr)
            return Response.json(500, default_body(provider, 500))


def _control_inject(srv: StandIn, req: Request) -> Response:
    spec = req.json()
    if not isinstance(spec, dict) or "path_regex" not in spec:
        return Response.json(400, {"error": "expected JSON with path_regex"})
    try:
        fault = srv.inject(spec["path_regex"], spec.get("status"), spec.get("body"), spec.get("headers"),
                           spec.get("times", 1), method=spec.get("method"), truncate=bool(spec.get("truncate")),
                           delay=float(spec.get("delay", 0.0)), hold=float(spec.get("hold", 0.0)),
                           throttle=float(spec.get("throttle", 0.0)), drop_if_gone=bool(spec.get("drop_if_gone")),
                           action=spec.get("action"), after=bool(spec.get("after")))
    except (ValueError, re.error) as exc:
        return Response.json(400, {"error": str(exc)})
    return Response.json(200, fault.describe())


def _control_clear(srv: StandIn, req: Request) -> Response:
    srv.clear_faults()
    return Response(204)


def _control_fault_mode(srv: StandIn, req: Request) -> Response:
    spec = req.json()
    if srv.random_faults is None:
        return Response.json(409, {"error": "the stand-in was started without a fault rate"})
    if not isinstance(spec, dict) or not isinstance(spec.get("enabled"), bool):
        return Response.json(400, {"error": "expected JSON with enabled: true|false"})
    srv.random_faults.enabled = spec["enabled"]
    return Response.json(200, srv.random_faults.describe())
