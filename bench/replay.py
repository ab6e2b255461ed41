"""The baseline for engine overhead: a run's provider calls, captured at the stand-in, made again
directly (OpenAI calls with the openai SDK, the rest with httpx), one after the other.

A replayed call must reach the stand-in's new jobs, not the run's old ones: every id-like string
that differs between the run's answer and the replay's answer to the same call (job ids, image
ids, upload keys and signatures) is substituted in the calls that follow. Each call is timed
from just before the client is called to its parsed answer (or its file written).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import openai

from cctui.demo import DEMO_KEY
from cctui.standin.http_layer import parse_multipart

MIN_ID = 8  # strings shorter than this are never substituted


def _json_strings(value: Any) -> Any:
    """A string holding a JSON object or list (Leonardo's upload `fields`) is walked too."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def learn(old: Any, new: Any, mapping: dict[str, str]) -> None:
    old, new = _json_strings(old), _json_strings(new)
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() & new.keys():
            learn(old[key], new[key], mapping)
    elif isinstance(old, list) and isinstance(new, list):
        for a, b in zip(old, new):
            learn(a, b, mapping)
    elif isinstance(old, str) and isinstance(new, str) and old != new and len(old) >= MIN_ID:
        mapping[old] = new


def substitute(text: str, mapping: dict[str, str]) -> str:
    for old in sorted(mapping, key=len, reverse=True):
        if old in text:
            text = text.replace(old, mapping[old])
    return text


def substitute_bytes(data: bytes, mapping: dict[str, str]) -> bytes:
    for old in sorted(mapping, key=len, reverse=True):
        raw = old.encode()
        if raw in data:
            data = data.replace(raw, mapping[old].encode())
    return data


class Replayer:
    def __init__(self, base_url: str, files_dir: Path):
        self.base_url = base_url
        self.files_dir = Path(files_dir)
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.mapping: dict[str, str] = {}
        self.timings: list[float] = []
        self.statuses: list[tuple[int | None, int]] = []

    async def __aenter__(self) -> "Replayer":
        self.openai = openai.AsyncOpenAI(api_key=DEMO_KEY, base_url=self.base_url + "/openai/v1", max_retries=0)
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=60)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.openai.close()
        await self.http.aclose()

    def _headers(self, path: str, content_type: str) -> dict[str, str]:
        headers = {"content-type": content_type} if content_type else {}
        if path.startswith("/leonardo/"):
            headers["authorization"] = f"Bearer {DEMO_KEY}"
        elif path.startswith("/elevenlabs/"):
            headers["xi-api-key"] = DEMO_KEY
        return headers

    def _save(self, data: bytes) -> None:
        (self.files_dir / f"file_{len(self.timings)}.bin").write_bytes(data)

    async def call(self, entry: dict[str, Any]) -> tuple[int, Any]:
        """One captured call made again; returns (status, JSON answer or None)."""
        path = substitute(entry["path"], self.mapping)
        query = substitute(entry["query"], self.mapping)
        body = substitute_bytes(base64.b64decode(entry["body"]), self.mapping)
        ctype = entry["content_type"]
        method = entry["method"]
        if path.startswith("/openai/v1/"):
            return await self._openai(method, path[len("/openai/v1"):], query, body, ctype)
        response = await self.http.request(method, path + (f"?{query}" if query else ""), content=body or None,
                                           headers=self._headers(path, ctype))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.status_code, response.json()
        self._save(response.content)
        return response.status_code, None

    async def _openai(self, method: str, path: str, query: str, body: bytes, ctype: str) -> tuple[int, Any]:
        client = self.openai
        if method == "POST" and path == "/chat/completions":
            request = json.loads(body)
            if request.get("stream"):  # read to its end, as the LLM client does
                stream = await client.chat.completions.create(**request)
                async with stream:
                    async for _chunk in stream:
                        pass
                return stream.response.status_code, None
            raw = await client.chat.completions.with_raw_response.create(**request)
            raw.parse()
            return raw.http_response.status_code, raw.http_response.json()
        if method == "POST" and path == "/images/generations":
            raw = await client.images.with_raw_response.generate(**json.loads(body))
            raw.parse()
            return raw.http_response.status_code, raw.http_response.json()
        if method == "POST" and path == "/videos" and ctype.startswith("multipart/"):
            fields: dict[str, Any] = {}
            for part in parse_multipart(ctype, body):
                if part.filename is not None:
                    fields[part.name] = (part.filename, part.data, part.content_type or "application/octet-stream")
                else:
                    fields[part.name] = part.text
            raw = await client.videos.with_raw_response.create(**fields)
            raw.parse()
            return raw.http_response.status_code, raw.http_response.json()
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] == "videos":
            raw = await client.videos.with_raw_response.retrieve(parts[1])
            raw.parse()
            return raw.http_response.status_code, raw.http_response.json()
        if method == "GET" and len(parts) == 3 and parts[0] == "videos" and parts[2] == "content":
            variant = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("variant", "video")
            content = await client.videos.download_content(parts[1], variant=variant)
            self._save(content.content)
            return 200, None
        raise ValueError(f"the replay does not know {method} /openai/v1{path}")

    async def replay(self, captured: list[dict[str, Any]]) -> float:
        """Every call in order; returns the summed call time in seconds."""
        for entry in captured:
            started = time.perf_counter()
            status, answer = await self.call(entry)
            self.timings.append(time.perf_counter() - started)
            self.statuses.append((entry["status"], status))
            if entry.get("json") is not None and answer is not None:
                learn(entry["json"], answer, self.mapping)
        return sum(self.timings)
