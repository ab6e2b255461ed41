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

import json
import re
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from . import elevenlabs_routes, leonardo_routes, openai_routes, sora_routes
from .errors import RouteError, default_body, openai_body, leonardo_body
from .faults import Fault, FaultBook
from .http_layer import BadRequestBody, Request, Response, parse_query, parse_range
from .jobs import StateStore

PREFIXES = {
    "openai": "/openai/v1",
    "leonardo": "/leonardo/api/rest/v1",
    "elevenlabs": "/elevenlabs",
}
SECRET_HEADERS = {"authorization", "xi-api-key", "x-api-key", "api-key", "cookie", "proxy-authorization"}
RECORD_LIMIT = 5000

Handler = Callable[..., Response]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names; secret values replaced by "<redacted>"
    time: float
    provider: str | None
    status: int | None = None
    json: Any = None  # the JSON body, long strings shortened
    form: dict[str, str] = field(default_factory=dict)  # multipart text fields
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # multipart files: filename, size, type
    body_size: int = 0
    injected: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 300:
        return f"{value[:60]}...<{len(value)} chars>"
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """(handler, path groups, path_known) for this request."""
        known = False
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if not found:
                continue
            known = True
            if route_method == method or (method == "HEAD" and route_method == "GET"):
                return handler, found.groupdict(), True
        return None, {}, known


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
        self._records: list[RecordedRequest] = []
        self._records_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
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
        server = _Server((self.host, self._requested_port), _RequestHandler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"standin-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._connections_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
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
        with self._records_lock:
            return list(self._records)

    def count(self, method: str, path: str, *, regex: bool = False) -> int:
        """How many requests with this method ("*" = any) had exactly this path (or matched it)."""
        pattern = re.compile(path) if regex else None
        return sum(1 for r in self.requests
                   if (method == "*" or r.method == method.upper())
                   and (pattern.search(r.path) if pattern else r.path == path))

    def clear_requests(self) -> None:
        with self._records_lock:
            self._records.clear()

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

    def handle(self, req: Request, handler: "_RequestHandler") -> None:
        provider = self.provider_of(req.path)
        record = self._record(req, provider)
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

    def _record(self, req: Request, provider: str | None) -> RecordedRequest:
        headers = {k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in req.headers.items()}
        record = RecordedRequest(req.method, req.path, urlencode(req.query, doseq=True), headers, time.time(),
                                 provider, body_size=len(req.body))
        try:
            if req.content_type == "application/json" and req.body:
                record.json = _shorten(json.loads(req.body))
            elif req.content_type == "multipart/form-data":
                for part in req.parts():
                    if part.filename is None:
                        record.form[part.name] = _shorten(part.text)
                    else:
                        record.files[part.name] = {"filename": part.filename, "size": len(part.data),
                                                   "content_type": part.content_type}
        except (ValueError, UnicodeDecodeError, BadRequestBody):
            pass
        with self._records_lock:
            self._records.append(record)
            if len(self._records) > RECORD_LIMIT:
                del self._records[: len(self._records) - RECORD_LIMIT]
        return record

    def url(self, req: Request, path: str) -> str:
        return req.base_url + path


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: StandIn

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.standin._connections_lock:
            self.standin._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.standin._connections_lock:
            self.standin._connections.discard(request)
        super().shutdown_request(request)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cctui-standin/1.0"
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.standin.verbose:
            sys.stderr.write("standin: " + (format % args) + "\n")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.send_error(400, "unreadable body")
            return
        parts = urlsplit(self.path)
        host = self.headers.get("host") or f"{self.server.standin.host}:{self.server.standin.port}"
        headers = Message()
        for key, value in self.headers.items():
            headers[key] = value
        req = Request(self.command, parts.path or "/", parse_query(parts.query), headers, body, f"http://{host}")
        self.server.standin.handle(req, self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def write_response(self, req: Request, resp: Response, *, truncate: bool = False) -> None:
        payload = resp.payload()
        status = resp.status
        headers = dict(resp.headers)
        if resp.file is not None and status == 200:
            headers["accept-ranges"] = "bytes"
            wanted = parse_range(req.header("range"), len(payload))
            if wanted == (-1, -1):
                status, headers["content-range"], payload = 416, f"bytes */{len(payload)}", b""
            elif wanted is not None:
                start, end = wanted
                headers["content-range"] = f"bytes {start}-{end}/{len(payload)}"
                status, payload = 206, payload[start:end + 1]
        headers["content-length"] = str(len(payload))
        if truncate:
            headers["connection"] = "close"
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if req.method == "HEAD":
                return
            if truncate:
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
