"""What media the stand-in has handed out: the sha256 and size of every whole file it served.

Recorded for each 2xx answer that carries a file (CDN images and clips, Sora videos and
thumbnails, ElevenLabs songs; the whole file even when a range was asked for) and for each
image inside an OpenAI images answer (the decoded bytes). Tests compare the files a client kept
against these: a file on disk whose hash is not here is not what the provider sent.

Kept in memory and appended to `served.jsonl` in the data directory, so a restarted stand-in
still knows what it served. `GET /_standin/served` lists them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

SERVED_FILE = "served.jsonl"


class ServedFiles:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / SERVED_FILE
        self._lock = threading.Lock()
        self._by_hash: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text("utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                if isinstance(entry, dict) and "sha256" in entry:
                    self._by_hash.setdefault(entry["sha256"], entry)

    def add(self, data: bytes, content_type: str | None, request_path: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            entry = self._by_hash.get(digest)
            if entry is None:
                entry = {"sha256": digest, "size": len(data), "content_type": content_type,
                         "path": request_path, "time": time.time(), "times": 0}
                self._by_hash[digest] = entry
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")
            entry["times"] = int(entry.get("times", 0)) + 1
        return digest

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._by_hash.values()]
