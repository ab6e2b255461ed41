"""The plain HTTP plumbing of the stand-in: request and response objects, multipart parsing.

Only the standard library: `http.server.ThreadingHTTPServer` serves, this module turns the raw
request into a `Request` the route modules read, and writes their `Response` back, including
the single-range downloads (`Range: bytes=N-`) and the truncated-download fault.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs

MAX_BODY = 200 * 1024 * 1024

CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".json": "application/json",
}


class BadRequestBody(Exception):
    """The body could not be read as the content type it claims (bad JSON, broken multipart)."""


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: Message  # case-insensitive lookups
    body: bytes
    base_url: str  # http://127.0.0.1:PORT, as this server is reached

    _json: Any = field(default=None, repr=False)
    _parts: list[Part] | None = field(default=None, repr=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        if self._json is None:
            if not self.body:
                raise BadRequestBody("empty body where JSON was expected")
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequestBody(f"body is not valid JSON: {exc}") from exc
        return self._json

    def parts(self) -> list[Part]:
        if self._parts is None:
            self._parts = parse_multipart(self.header("content-type") or "", self.body)
        return self._parts


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # serve this file's bytes instead of `body`
    # Server-sent events: each frame goes out as its own HTTP chunk (`transfer-encoding: chunked`).
    events: list[bytes] | None = None
    # A protocol switch (101): the handler sends the headers, then gives this the raw socket
    # and its buffered reader, and closes the connection when it returns.
    upgrade: Callable[[Any, Any], None] | None = None

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, json.dumps(data).encode("utf-8"),
                   {"content-type": "application/json", **(headers or {})})

    @classmethod
    def raw(cls, status: int, body: bytes, content_type: str,
            headers: dict[str, str] | None = None) -> "Response":
        return cls(status, body, {"content-type": content_type, **(headers or {})})

    @classmethod
    def event_stream(cls, status: int, frames: list[bytes], headers: dict[str, str] | None = None) -> "Response":
        return cls(status, b"", {"content-type": "text/event-stream; charset=utf-8", **(headers or {})},
                   events=list(frames))

    @classmethod
    def websocket(cls, headers: dict[str, str], take_over: Callable[[Any, Any], None]) -> "Response":
        return cls(101, b"", dict(headers), upgrade=take_over)

    @classmethod
    def send_file(cls, path: Path, content_type: str | None = None,
                  headers: dict[str, str] | None = None) -> "Response":
        ctype = content_type or CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return cls(200, b"", {"content-type": ctype, **(headers or {})}, file=path)

    def payload(self) -> bytes:
        if self.file is not None:
            return self.file.read_bytes()
        if self.events is not None:
            return b"".join(self.events)
        return self.body


def parse_multipart(content_type_header: str, body: bytes) -> list[Part]:
    """Split a multipart/form-data body into its parts, in order, bytes untouched."""
    msg = Message()
    msg["content-type"] = content_type_header
    if msg.get_content_type() != "multipart/form-data":
        raise BadRequestBody("expected a multipart/form-data body")
    boundary = msg.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise BadRequestBody("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise BadRequestBody("multipart body without any part")
    parts: list[Part] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise BadRequestBody("multipart part without a header block")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = Message()
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise BadRequestBody("multipart part without a name")
        filename = headers.get_param("filename", header="content-disposition")
        parts.append(Part(name=name, data=data,
                          filename=filename if isinstance(filename, str) else None,
                          content_type=headers.get("content-type")))
    if not closed:
        raise BadRequestBody("multipart body is not terminated")
    return parts


def parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`bytes=START-[END]` → (start, end inclusive); None = whole file (or a form we ignore)."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[len("bytes="):].strip()
    start_s, _, end_s = spec.partition("-")
    try:
        if start_s == "":
            length = int(end_s)
            return (max(0, size - length), size - 1) if length > 0 else None
        start = int(start_s)
        end = int(end_s) if end_s else size - 1
    except ValueError:
        return None
    if start >= size or start > end:
        return (-1, -1)
    return start, min(end, size - 1)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
