"""Fault injection: the next N requests whose path matches get a canned answer instead.

`StandIn.inject(path_regex, status, body=None, headers=None, times=1, method=None,
truncate=False, delay=0.0)` registers a `Fault`:

- `status` (with optional `body` and `headers`): answer with that status. `body` may be a dict
  or list (sent as JSON), `str` or `bytes`; left out, the provider's own error body for that
  status is used (e.g. OpenAI's `rate_limit_exceeded` for 429, `server_error` for 5xx).
- `truncate=True`: the request is served normally, but the answer announces its full
  `content-length` and then sends only half of the bytes and closes the connection, so a
  client can see that the download was cut short.
- `delay` seconds: wait before answering (alone it only slows the request down).

Hooks for crash tests (the request is served normally unless said otherwise):

- `hold` seconds: the route runs first (a paid job is created and charged), then the answer is
  held back: a client killed meanwhile never learns the job id.
- `throttle` seconds: the body goes out in small pieces spread over that long, so a download
  can be interrupted half-way.
- `drop_if_gone=True` (with `delay`): after the delay, a request whose client has hung up is
  dropped unserved, as if its upload had never been completed.
- `action`: "reset" (close the connection without an answer, after the route ran),
  "malformed" (the route runs, its answer is replaced by a cut-off JSON text).
- `after=True` with a `status`: the route runs first (side effects happen), then that status
  is answered instead of its own.

Each fault counts what happened to the requests it took (`taken`, `held`, `dropped`,
`finished`), so a test can wait until a request is in flight and kill the client right then.

A random fault mode for whole runs lives in `fault_mode`.

Faults match `re.search(path_regex, path)` on the path without query string, and the method
when given; the first matching fault with uses left wins, and each use counts down `times`
(`times=None` = forever). Faults live in memory only.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    method: str | None = None
    truncate: bool = False
    delay: float = 0.0
    hold: float = 0.0
    throttle: float = 0.0
    drop_if_gone: bool = False
    action: str | None = None
    after: bool = False
    used: int = 0
    held: int = 0  # requests that reached the hold / throttled-transfer phase
    dropped: int = 0
    finished: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.times is not None and self.used >= self.times:
            return False
        return bool(self.pattern.search(path))

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(0, self.times - self.used)

    def describe(self) -> dict[str, Any]:
        return {"path_regex": self.pattern.pattern, "status": self.status, "times": self.times,
                "used": self.used, "method": self.method, "truncate": self.truncate,
                "delay": self.delay, "hold": self.hold, "throttle": self.throttle,
                "drop_if_gone": self.drop_if_gone, "action": self.action, "after": self.after,
                "held": self.held, "dropped": self.dropped, "finished": self.finished}


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, path_regex: str, status: int | None = None, body: Any = None,
            headers: dict[str, str] | None = None, times: int | None = 1, *,
            method: str | None = None, truncate: bool = False, delay: float = 0.0, hold: float = 0.0,
            throttle: float = 0.0, drop_if_gone: bool = False, action: str | None = None,
            after: bool = False) -> Fault:
        if status is None and not (truncate or delay or hold or throttle or action):
            raise ValueError("a fault needs a status, truncate=True, a delay, hold, throttle or action")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        if action not in (None, "reset", "malformed"):
            raise ValueError(f"unknown fault action {action!r} (reset, malformed)")
        fault = Fault(re.compile(path_regex), status, body, dict(headers or {}), times,
                      method, truncate, float(delay), float(hold), float(throttle), bool(drop_if_gone),
                      action, bool(after))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request gets (its use is counted), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.used += 1
                    return fault
        return None

    def note(self, fault: Fault, what: str) -> None:
        """Count one of `held`, `dropped`, `finished` for a request this fault took."""
        with self._lock:
            setattr(fault, what, getattr(fault, what) + 1)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]
