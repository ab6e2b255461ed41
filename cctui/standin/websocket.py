"""The server side of RFC 6455 websockets, by hand: the handshake and the frames.

A route answers `upgrade(req, session)`: a 101 `Response` whose `upgrade` callback the
`RequestHandler` calls with the raw socket once the handshake is out; `session(ws)` then owns the
connection until it returns. Server frames go out unmasked, client frames must be masked; pings
are answered, a close frame is echoed; no extensions and no subprotocols are agreed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from typing import Any, BinaryIO, Callable

from .http_layer import Request, Response

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 * 1024 * 1024
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002


def accept_value(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def handshake_problem(req: Request) -> str | None:
    """Why this request is not a websocket opening handshake we can accept (None = it is)."""
    if req.method != "GET":
        return "a websocket handshake is a GET"
    if (req.header("upgrade") or "").lower() != "websocket":
        return f"No WebSocket UPGRADE hdr: {req.header('upgrade')}"
    if "upgrade" not in [t.strip() for t in (req.header("connection") or "").lower().split(",")]:
        return f"No CONNECTION upgrade hdr: {req.header('connection')}"
    if req.header("sec-websocket-version") != "13":
        return f"Unsupported version: {req.header('sec-websocket-version')}"
    key = req.header("sec-websocket-key") or ""
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except ValueError:
        return f"Handshake error: {key!r}"
    return None


def upgrade(req: Request, session: Callable[["WebSocket"], None]) -> Response:
    """The 101 answer that hands the connection to `session`, or a plain 400 like aiohttp's."""
    problem = handshake_problem(req)
    if problem is not None:
        return Response.raw(400, f"400: {problem}".encode(), "text/plain; charset=utf-8")
    headers = {"upgrade": "websocket", "connection": "upgrade",
               "sec-websocket-accept": accept_value(req.header("sec-websocket-key") or "")}

    def run(sock: socket.socket, rfile: BinaryIO) -> None:
        session(WebSocket(sock, rfile))

    return Response.websocket(headers, run)


class WebSocket:
    """One open connection. `send_*` may be called from any thread; `receive` from one only."""

    def __init__(self, sock: socket.socket, rfile: BinaryIO):
        self._sock = sock
        self._rfile = rfile  # the handler's buffered reader: it may already hold the first frames
        self._send_lock = threading.Lock()
        self.closed = threading.Event()

    # ------------------------------------------------------------------ sending

    def _send_frame(self, opcode: int, payload: bytes) -> bool:
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self._send_lock:
            if self.closed.is_set():
                return False
            try:
                self._sock.sendall(head + payload)
            except OSError:
                self.closed.set()
                return False
        return True

    def send_text(self, text: str) -> bool:
        return self._send_frame(TEXT, text.encode("utf-8"))

    def send_json(self, data: Any) -> bool:
        return self.send_text(json.dumps(data))

    def send_binary(self, data: bytes) -> bool:
        return self._send_frame(BINARY, data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (once) and shut the socket, which ends the reader too."""
        self._send_frame(CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:120])
        self.closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------------ receiving

    def _read_exact(self, count: int) -> bytes | None:
        data = self._rfile.read(count) if count else b""
        return data if data is not None and len(data) == count else None

    def _read_frame(self) -> tuple[bool, int, bytes] | None:
        head = self._read_exact(2)
        if head is None:
            return None
        fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
        masked, length = bool(head[1] & 0x80), head[1] & 0x7F
        if head[0] & 0x70 or not masked:
            self.close(PROTOCOL_ERROR, "reserved bits set" if head[0] & 0x70 else "client frames must be masked")
            return None
        if length >= 126:
            raw = self._read_exact(2 if length == 126 else 8)
            if raw is None:
                return None
            length = struct.unpack("!H" if len(raw) == 2 else "!Q", raw)[0]
        if length > MAX_MESSAGE:
            self.close(1009, "message too big")
            return None
        mask = self._read_exact(4)
        payload = self._read_exact(length)
        if mask is None or payload is None:
            return None
        return fin, opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def receive(self) -> tuple[int, bytes] | None:
        """The next whole data message (opcode, bytes); None once the connection is closed."""
        pieces: list[bytes] = []
        first_opcode = None
        while not self.closed.is_set():
            try:
                frame = self._read_frame()
            except (OSError, ValueError):
                frame = None
            if frame is None:
                self.closed.set()
                return None
            fin, opcode, payload = frame
            if opcode == PING:
                self._send_frame(PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                self.close(code if 1000 <= code < 5000 else 1000)
                return None
            elif opcode in (TEXT, BINARY, CONTINUATION):
                if (opcode == CONTINUATION) != (first_opcode is not None):
                    self.close(PROTOCOL_ERROR, "unexpected continuation frame")
                    return None
                first_opcode = opcode if first_opcode is None else first_opcode
                pieces.append(payload)
                if fin:
                    return first_opcode, b"".join(pieces)
            elif opcode != PONG:
                self.close(PROTOCOL_ERROR, f"unknown opcode {opcode}")
                return None
        return None
