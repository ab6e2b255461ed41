"""The random fault mode: a seeded fraction of all requests get a failure instead of an answer.

    StandIn(fault_rate=0.2, fault_seed=7)            # or: python -m cctui.standin --fault-rate 0.2 --fault-seed 7

Every request to a provider path, the upload bucket or the file CDN (never `/_standin/`) draws
from one `random.Random(seed)`; with probability `rate` it gets one of these, chosen uniformly
from `kinds`:

- `429`       answered at once, not processed: 429 with `retry-after` (`retry_after` seconds) in
              the provider's own error shape;
- `503`       answered at once, not processed: 503, the provider's error shape;
- `500`       the request is processed (a paid job is created and charged), then 500 is answered;
- `timeout`   processed, then nothing is answered for `timeout_seconds` (longer than the client
              waits), then the connection is closed;
- `reset`     processed, then the connection is closed without an answer (TCP reset);
- `truncate`  processed, the answer announces its full length and stops half-way;
- `malformed` processed, the answer is cut-off JSON (`200`, `application/json`).

"Processed" faults are the dangerous ones for money: the provider did the work, the client
cannot know it. Which requests got which fault is kept in `log` (GET `/_standin/fault-log`).
The order in which concurrent requests draw is up to the threads, so a seed fixes the sequence
of draws, not which request gets each draw.
"""

from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

KINDS = ("429", "500", "503", "timeout", "reset", "truncate", "malformed")
# Answered before the route runs (nothing happened at the provider); the rest after it.
BEFORE = frozenset({"429", "503"})
MALFORMED_BODY = b'{"id": "gen_7f3a", "status": "PENDING", "generated_images": [{"url": "http'


class RandomFaults:
    def __init__(self, rate: float, seed: int = 0, kinds: tuple[str, ...] | list[str] | None = None, *,
                 timeout_seconds: float = 5.0, retry_after: float = 1.0, paths: str | None = None,
                 methods: tuple[str, ...] | None = None):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the fault rate must be from 0 to 1, not {rate}")
        kinds = tuple(kinds or KINDS)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"unknown fault kind {unknown[0] if unknown else '(none)'!r}; "
                             f"choose from {', '.join(KINDS)}")
        self.rate = float(rate)
        self.seed = int(seed)
        self.kinds = kinds
        self.timeout_seconds = float(timeout_seconds)
        self.retry_after = float(retry_after)
        self.paths = re.compile(paths) if paths else None
        self.methods = tuple(m.upper() for m in methods) if methods else None  # None: every method
        self.enabled = True
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._draws = 0
        self.log: list[dict[str, Any]] = []

    def eligible(self, path: str) -> bool:
        if path.startswith("/_standin/"):
            return False
        return self.paths is None or bool(self.paths.search(path))

    def pick(self, method: str, path: str) -> str | None:
        """The fault this request gets, or None (a draw is used only for eligible requests)."""
        if not self.enabled or self.rate <= 0 or not self.eligible(path) or (
                self.methods is not None and method.upper() not in self.methods):
            return None
        with self._lock:
            self._draws += 1
            hit = self._rng.random() < self.rate
            kind = self._rng.choice(self.kinds) if hit else None
            if kind is not None:
                self.log.append({"n": self._draws, "time": time.time(), "method": method, "path": path,
                                 "kind": kind})
        return kind

    def describe(self) -> dict[str, Any]:
        with self._lock:
            counts: dict[str, int] = {}
            for entry in self.log:
                counts[entry["kind"]] = counts.get(entry["kind"], 0) + 1
            return {"rate": self.rate, "seed": self.seed, "kinds": list(self.kinds), "enabled": self.enabled,
                    "timeout_seconds": self.timeout_seconds, "draws": self._draws, "injected": counts}

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.log)
