"""What the stand-in remembers about each request it received (in memory, this process only).

Tests read `StandIn.requests` (a snapshot list of `RecordedRequest`) and `StandIn.count(...)`.
Secrets never enter a record: the values of `authorization`, `xi-api-key` and similar headers
are replaced by "<redacted>", and long strings in bodies (base64 images) are shortened.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from .http_layer import BadRequestBody, Request

SECRET_HEADERS = {"authorization", "xi-api-key", "x-api-key", "api-key", "cookie", "proxy-authorization"}
RECORD_LIMIT = 5000


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
    injected: bool = False  # answered by an injected fault

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 300:
        return f"{value[:60]}...<{len(value)} chars>"
    if isinstance(value, list):
        return [shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    return value


def record_of(req: Request, provider: str | None) -> RecordedRequest:
    headers = {k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in req.headers.items()}
    record = RecordedRequest(req.method, req.path, urlencode(req.query, doseq=True), headers, time.time(),
                             provider, body_size=len(req.body))
    try:
        if req.content_type == "application/json" and req.body:
            record.json = shorten(json.loads(req.body))
        elif req.content_type == "multipart/form-data":
            for part in req.parts():
                if part.filename is None:
                    record.form[part.name] = shorten(part.text)
                else:
                    record.files[part.name] = {"filename": part.filename, "size": len(part.data),
                                               "content_type": part.content_type}
    except (ValueError, UnicodeDecodeError, BadRequestBody):
        pass
    return record


class RequestLog:
    """A thread-safe, bounded list of records."""

    def __init__(self, limit: int = RECORD_LIMIT) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._limit = limit

    def add(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)
            if len(self._records) > self._limit:
                del self._records[: len(self._records) - self._limit]

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(self, method: str, path: str, *, regex: bool = False) -> int:
        pattern = re.compile(path) if regex else None
        return sum(1 for r in self.snapshot()
                   if (method == "*" or r.method == method.upper())
                   and (pattern.search(r.path) if pattern else r.path == path))
