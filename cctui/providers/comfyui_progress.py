"""What a ComfyUI host says over its websocket about the prompts cctui queued there.

ComfyUI sends progress only to the client id a prompt was queued with, so each client keeps one
socket per host under its own id and remembers, per prompt id, the last thing heard. Polling
reads that first and asks over HTTP (`/queue`, `/history`) when the socket has nothing (it was
down, or the prompt was queued by an earlier cctui whose id this one does not have).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

RECONNECT_WAIT = (0.5, 10.0)  # first and longest wait before connecting again
OPEN_TIMEOUT = 5.0


@dataclass
class Heard:
    """The latest word on one prompt."""

    state: str = "queued"  # queued | running | success | error
    value: int | None = None
    maximum: int | None = None
    node: str | None = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def percent(self) -> float | None:
        if self.value is None or not self.maximum:
            return None
        return max(0.0, min(100.0, 100.0 * self.value / self.maximum))


def socket_url(base_url: str, client_id: str) -> str:
    scheme, rest = base_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws?clientId={client_id}"


class ProgressFeed:
    """One websocket to one host, read in the background while prompts are watched."""

    def __init__(self, base_url: str, client_id: str, headers: dict[str, str] | None = None):
        self.url = socket_url(base_url, client_id)
        self.headers = dict(headers or {})
        self.heard: dict[str, Heard] = {}
        self.connected = False
        self._task: asyncio.Task | None = None

    def watch(self, prompt_id: str) -> None:
        self.heard.setdefault(prompt_id, Heard())
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"comfyui feed {self.url}")

    def forget(self, prompt_id: str) -> None:
        self.heard.pop(prompt_id, None)

    def get(self, prompt_id: str) -> Heard | None:
        return self.heard.get(prompt_id) if self.connected else None

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.connected = False

    async def _run(self) -> None:
        from websockets.asyncio.client import connect  # only when a ComfyUI job is followed

        wait = RECONNECT_WAIT[0]
        while self.heard:
            try:
                async with connect(self.url, additional_headers=self.headers, open_timeout=OPEN_TIMEOUT,
                                   max_size=None, ping_interval=20) as socket:
                    self.connected = True
                    wait = RECONNECT_WAIT[0]
                    async for message in socket:
                        if isinstance(message, str):  # binary frames are preview pictures
                            self._take(message)
                        if not self.heard:
                            return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # down, refused, cut off: HTTP polling carries on meanwhile
                log.info("comfyui websocket %s: %s", self.url.split("?")[0], type(exc).__name__)
            finally:
                self.connected = False
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_WAIT[1])

    def _take(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return
        data: dict[str, Any] = message["data"]
        heard = self.heard.get(str(data.get("prompt_id")))
        if heard is None:
            return
        kind = message.get("type")
        heard.at = time.monotonic()
        if kind in ("execution_start", "execution_cached"):
            heard.state = "running"
        elif kind == "executing":
            if data.get("node") is None:
                # The end of the prompt, success or not: /history says which and holds the files.
                heard.state = "error" if heard.state == "error" else "success"
            else:
                heard.state, heard.node = "running", str(data.get("node"))
        elif kind == "progress":
            heard.state = "running"
            if isinstance(data.get("value"), int) and isinstance(data.get("max"), int):
                heard.value, heard.maximum = data["value"], data["max"]
        elif kind == "execution_success":
            heard.state = "success"
        elif kind in ("execution_error", "execution_interrupted"):
            heard.state = "error"
            heard.error = str(data.get("exception_message") or kind).strip()
