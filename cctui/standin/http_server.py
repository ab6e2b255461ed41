"""The stdlib HTTP server under the stand-in: routing, reading requests, writing responses.

`HTTPServer` (a `ThreadingHTTPServer` with daemon threads) hands every request to its `app`
(the `StandIn`) as a `Request`; the app answers through `RequestHandler.write_response`, which
also serves single byte ranges of files and plays the truncated-download fault.
"""

from __future__ import annotations

import re
import select
import socket
import struct
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from .http_layer import Request, Response, parse_query, parse_range

Handler = Callable[..., Response]


class App(Protocol):
    verbose: bool

    def handle(self, req: Request, handler: "RequestHandler") -> None: ...


class Router:
    """(method, anchored path regex with named groups) → handler(app, req, **groups)."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """(handler, path groups, whether the path exists for some method)."""
        known = False
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if not found:
                continue
            known = True
            if route_method == method or (method == "HEAD" and route_method == "GET"):
                return handler, found.groupdict(), True
        return None, {}, known


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (killed, or cctui quit while it waited) is normal
        here; anything else is still printed. The stand-in runs inside the demo app, where a
        traceback on stderr would be drawn over the screen."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Cut the keep-alive connections still open (their threads then end)."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cctui-standin/1.0"
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls
    server: HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.app.verbose:
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
        host = self.headers.get("host") or "%s:%s" % self.server.server_address[:2]
        headers = Message()
        for key, value in self.headers.items():
            headers[key] = value
        req = Request(self.command, parts.path or "/", parse_query(parts.query), headers, body, f"http://{host}")
        self.server.app.handle(req, self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def client_gone(self) -> bool:
        """True when the client has closed its end (nothing more will be read from it)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def abort(self) -> None:
        """Answer nothing: the connection is closed with a TCP reset when the handler ends."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def write_events(self, resp: Response, *, truncate: bool = False, throttle: float = 0.0) -> None:
        """Send a stream of events, one HTTP chunk each; with `truncate`, stop after half of them
        and close without the closing chunk (a stream broken off mid-way); with `throttle`,
        spread them over that many seconds."""
        frames = list(resp.events or [])
        if truncate:
            frames = frames[: len(frames) // 2]
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-length"}
        headers["transfer-encoding"] = "chunked"
        try:
            self.send_response(resp.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            for data in frames:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                if throttle > 0:
                    time.sleep(throttle / max(1, len(resp.events or [])))
            if truncate:
                self._cut_connection()
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _cut_connection(self) -> None:
        """Close mid-answer, as a dropped connection does (a truncate fault)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _switch_protocols(self, resp: Response) -> None:
        """Send the 101 and hand the connection to `resp.upgrade` until it is done with it."""
        self.close_connection = True
        try:
            self.send_response(resp.status)
            for key, value in resp.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.flush()
            self.connection.settimeout(None)  # a websocket may sit idle for long; stop() shuts it
            resp.upgrade(self.connection, self.rfile)
        except OSError:
            pass

    def write_response(self, req: Request, resp: Response, *, truncate: bool = False,
                       throttle: float = 0.0) -> None:
        """Send `resp`; with `truncate`, announce the full length, send half, close; with
        `throttle`, spread the body over that many seconds."""
        if resp.events is not None and req.method != "HEAD":
            self.write_events(resp, truncate=truncate, throttle=throttle)
            return
        if resp.upgrade is not None:
            self._switch_protocols(resp)
            return
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
                self._cut_connection()
                return
            if throttle > 0 and payload:
                pieces = 20
                step = max(1, -(-len(payload) // pieces))
                for start in range(0, len(payload), step):
                    self.wfile.write(payload[start:start + step])
                    self.wfile.flush()
                    time.sleep(throttle / pieces)
                return
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
