"""The stand-in's persistent state: jobs, uploads, generated image ids and submit counts.

Everything lives in one JSON file, `standin-state.json` in the data (state) directory, written
atomically (temp file + rename) under a lock *before* the request that changed it is answered.
So a client killed mid-flight and restarted, or the stand-in itself restarted on the same state
directory, sees the same jobs and the same counts.

A job's progress is a function of wall-clock time since it was created and its own `duration`
(the `job_seconds` in force when it was submitted), so it survives restarts without a timer.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from .http_layer import atomic_write

STATE_FILE = "standin-state.json"
STATE_VERSION = 1

# How far through its duration a job leaves the queue and starts "running".
QUEUED_FRACTION = 0.2


def _empty_state() -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "secret": secrets.token_hex(16),  # signs the presigned upload forms
        "jobs": {},
        "init_images": {},
        "generated_images": {},  # generated image id -> generation id
        "submits": {},  # "METHOD /path" -> every POST received (refused ones too)
        "accepted": {},  # "METHOD /path" -> POSTs that created a job / were answered 2xx
        "credits_spent": 0,
        "starts": 0,
    }


class StateStore:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / STATE_FILE
        self.files_dir = self.data_dir / "files"
        self.inputs_dir = self.data_dir / "inputs"
        for folder in (self.files_dir, self.inputs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._state = self._load()
        self._state["starts"] = int(self._state.get("starts", 0)) + 1
        self._save()

    # ------------------------------------------------------------------ persistence

    def _load(self) -> dict[str, Any]:
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text("utf-8"))
                if isinstance(data, dict) and data.get("version") == STATE_VERSION:
                    base = _empty_state()
                    base.update(data)
                    return base
            except (OSError, ValueError):
                pass
        return _empty_state()

    def _save(self) -> None:
        atomic_write(self.path, json.dumps(self._state, indent=1, sort_keys=True).encode("utf-8"))

    @property
    def secret(self) -> str:
        return self._state["secret"]

    # ------------------------------------------------------------------ counts

    def count(self, table: str, key: str) -> None:
        with self._lock:
            counts = self._state[table]
            counts[key] = int(counts.get(key, 0)) + 1
            self._save()

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {
                "submits": dict(self._state["submits"]),
                "accepted": dict(self._state["accepted"]),
                "jobs": len(self._state["jobs"]),
                "credits_spent": self._state["credits_spent"],
                "starts": self._state["starts"],
            }

    def spend(self, credits: int) -> None:
        with self._lock:
            self._state["credits_spent"] = int(self._state["credits_spent"]) + int(credits)
            self._save()

    # ------------------------------------------------------------------ jobs

    def add_job(self, job: dict[str, Any], *, generated_image_ids: list[str] | None = None) -> None:
        with self._lock:
            self._state["jobs"][job["id"]] = job
            for image_id in generated_image_ids or []:
                self._state["generated_images"][image_id] = job["id"]
            self._save()

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._state["jobs"].get(job_id)
            return copy.deepcopy(job) if job is not None else None

    def update_job(self, job_id: str, **fields: Any) -> None:
        with self._lock:
            self._state["jobs"][job_id].update(fields)
            self._save()

    def jobs(self, provider: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = [copy.deepcopy(j) for j in self._state["jobs"].values()
                     if provider is None or j.get("provider") == provider]
        return sorted(found, key=lambda j: j["created"])

    def generation_of_image(self, image_id: str) -> str | None:
        with self._lock:
            return self._state["generated_images"].get(image_id)

    # ------------------------------------------------------------------ init images

    def add_init_image(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._state["init_images"][record["id"]] = record
            self._save()

    def init_image(self, image_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._state["init_images"].get(image_id)
            return copy.deepcopy(record) if record is not None else None

    def init_image_by_key(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            for record in self._state["init_images"].values():
                if record["key"] == key:
                    return copy.deepcopy(record)
        return None

    def update_init_image(self, image_id: str, **fields: Any) -> None:
        with self._lock:
            self._state["init_images"][image_id].update(fields)
            self._save()


def job_phase(job: dict[str, Any], now: float | None = None) -> tuple[str, float]:
    """("queued" | "running" | "done", fraction of the duration elapsed, 0..1)."""
    now = time.time() if now is None else now
    duration = float(job.get("duration", 0.0))
    elapsed = max(0.0, now - float(job["created"]))
    if job.get("outcome") == "stuck":
        fraction = min(0.9, elapsed / duration) if duration > 0 else 0.5
        return ("queued" if fraction < QUEUED_FRACTION else "running"), fraction
    if duration <= 0 or elapsed >= duration:
        return "done", 1.0
    fraction = elapsed / duration
    return ("queued" if fraction < QUEUED_FRACTION else "running"), fraction
