"""`StandIn`: one local HTTP server that plays OpenAI, Leonardo.Ai and ElevenLabs for tests.

    srv = StandIn(keys={"openai": "sk-test", "leonardo": "leo-test", "elevenlabs": "el-test"},
                  job_seconds=2.0, data_dir=tmp_path)   # keys None = any non-empty key
    srv.start()                       # 127.0.0.1, free port, daemon thread
    srv.base_urls                     # {"openai", "sora", "leonardo", "elevenlabs"} base URLs
    srv.requests, srv.count("POST", "/openai/v1/videos"), srv.submit_counts()
    srv.inject(r"/videos$", 429, headers={"retry-after": "1"}, times=2)
    srv.stop()

Paths: OpenAI (and Sora) under `/openai/v1`, Leonardo under `/leonardo/api/rest/v1`, ElevenLabs
under `/elevenlabs`; the presigned upload target is `/_bucket/upload`, Leonardo's CDN files are
under `/_files/`, and the stand-in's own control endpoints under `/_standin/`:
`GET /_standin/requests` (persisted submit counts), `GET /_standin/log` (recorded requests),
`POST /_standin/inject` (a fault, JSON with the `inject` arguments), `DELETE /_standin/faults`.
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

from . import elevenlabs_routes, leonardo_routes, openai_routes, sora_routes
from .errors import RouteError, default_body, leonardo_body, openai_body
from .faults import Fault, FaultBook
from .http_layer import BadRequestBody, Request, Response
from .http_server import HTTPServer, RequestHandler, Router
from .jobs import StateStore
from .records import RecordedRequest, RequestLog, record_of

PREFIXES = {
    "openai": "/openai/v1",
    "leonardo": "/leonardo/api/rest/v1",
    "elevenlabs": "/elevenlabs",
}


class StandIn:
    """The provider stand-in. Thread-safe; start() once, stop() once (also a context manager)."""

    def __init__(self, keys: dict[str, str] | None = None, job_seconds: float = 2.0,
                 data_dir: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 upload_expiry_seconds: float = 120.0, retry_after_seconds: float = 1.0,
                 clip_seconds: float = 2.0, video_short_side: int = 360, verbose: bool = False):
        self.keys = dict(keys) if keys else None
        self.job_seconds = float(job_seconds)
        self.host = host
        self._requested_port = int(port)
        self.upload_expiry_seconds = float(upload_expiry_seconds)
        self.retry_after_seconds = float(retry_after_seconds)
        self.clip_seconds = float(clip_seconds)
        self.video_short_side = int(video_short_side)
        self.verbose = verbose
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cctui-standin-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.state = StateStore(self.data_dir)
        self.faults = FaultBook()
        self.log = RequestLog()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.router = Router()
        openai_routes.register(self.router, PREFIXES["openai"])
        sora_routes.register(self.router, PREFIXES["openai"])
        leonardo_routes.register(self.router, PREFIXES["leonardo"])
        elevenlabs_routes.register(self.router, PREFIXES["elevenlabs"])
        self.router.add("GET", "/_standin/requests", lambda srv, req: Response.json(200, srv.control_counts()))
        self.router.add("GET", "/_standin/log", lambda srv, req: Response.json(
            200, {"requests": [r.to_json() for r in srv.requests]}))
        self.router.add("POST", "/_standin/inject", _control_inject)
        self.router.add("DELETE", "/_standin/faults", _control_clear)

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
                "leonardo": base + PREFIXES["leonardo"], "elevenlabs": base + PREFIXES["elevenlabs"]}

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
        return {**self.state.counts(), "faults": self.faults.describe()}

    def inject(self, path_regex: str, status: int | None = None, body: Any = None,
               headers: dict[str, str] | None = None, times: int | None = 1, *, method: str | None = None,
               truncate: bool = False, delay: float = 0.0) -> Fault:
        """The next `times` requests whose path matches get this answer (see `faults`)."""
        return self.faults.add(path_regex, status, body, headers, times, method=method, truncate=truncate,
                               delay=delay)

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
        else:
            auth = req.header("authorization") or ""
            got = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if not got:
            return False
        expected = (self.keys or {}).get(provider)
        return expected is None or got == expected

    def auth_error(self, provider: str, req: Request) -> Response | None:
        if self.key_ok(provider, req):
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
        return Response.json(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})

    def not_found(self, provider: str | None, req: Request, known_path: bool) -> Response:
        status = 405 if known_path else 404
        if provider == "openai":
            return Response.json(status, openai_body(f"Invalid URL ({req.method} {req.path[len('/openai'):]})"))
        if provider == "leonardo":
            return Response.json(status, leonardo_body("no such endpoint", "not-found"))
        if provider == "elevenlabs":
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
        if fault and fault.delay:
            time.sleep(fault.delay)
        truncate = bool(fault and fault.truncate)
        if fault and fault.status is not None:
            record.injected = True
            resp = self._fault_response(fault, provider)
        else:
            resp = self._dispatch(req, provider)
        if provider == "openai":
            resp.headers.setdefault("x-request-id", f"req_{uuid.uuid4().hex}")
            resp.headers.setdefault("openai-processing-ms", "12")
        if submit and 200 <= resp.status < 300 and not record.injected:
            self.state.count("accepted", f"POST {req.path}")
        record.status = resp.status
        handler.write_response(req, resp, truncate=truncate)

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
            if provider == "elevenlabs":
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
                           delay=float(spec.get("delay", 0.0)))
    except (ValueError, re.error) as exc:
        return Response.json(400, {"error": str(exc)})
    return Response.json(200, fault.describe())


def _control_clear(srv: StandIn, req: Request) -> Response:
    srv.clear_faults()
    return Response(204)
