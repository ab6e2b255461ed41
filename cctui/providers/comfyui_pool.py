"""Which of the creator's ComfyUI hosts takes a graph: one that is up, has every node type and
model file the graph names, and has the shortest queue for its number of slots.

A host's /object_info is read once per client (it is large and changes only when the server is
restarted with new nodes or models); its queue is read each time a job is placed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from ..comfyui_hosts import ComfyHost
from .base import ProviderError
from .comfyui_graph import ComfyGraph

PROBE_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class HostLook:
    host: ComfyHost
    load: float | None = None  # queued prompts per slot; None = not usable
    queued: int = 0
    why_not: str = ""


class HostPool:
    def __init__(self, hosts: list[ComfyHost], client: httpx.AsyncClient):
        self.hosts = hosts
        self.client = client
        self._object_info: dict[str, dict[str, Any]] = {}

    def host(self, url: str) -> ComfyHost:
        for host in self.hosts:
            if host.url == url:
                return host
        # A job placed on a host the creator has since taken out of COMFYUI_URLS is still followed there.
        return ComfyHost(url)

    async def get_json(self, host: ComfyHost, path: str) -> Any:
        response = await self.client.get(host.url + path, timeout=PROBE_TIMEOUT)
        response.raise_for_status()
        return response.json()

    async def object_info(self, host: ComfyHost) -> dict[str, Any]:
        if host.url not in self._object_info:
            info = await self.get_json(host, "/object_info")
            if not isinstance(info, dict):
                raise ValueError("its /object_info is not a JSON object")
            self._object_info[host.url] = info
        return self._object_info[host.url]

    def forget(self, host: ComfyHost) -> None:
        """Read /object_info again next time (a refusal said the host changed)."""
        self._object_info.pop(host.url, None)

    async def _look(self, host: ComfyHost, graph: ComfyGraph) -> HostLook:
        try:
            info = await self.object_info(host)
            problems = graph.problems_on(info, host.shown)
            if problems:
                return HostLook(host, why_not="; ".join(problems))
            queue = await self.get_json(host, "/queue")
        except httpx.TransportError as exc:
            return HostLook(host, why_not=f"{host.shown} is not reachable ({type(exc).__name__})")
        except httpx.HTTPStatusError as exc:
            hint = " (is COMFYUI_TOKEN right?)" if exc.response.status_code in (401, 403) else ""
            return HostLook(host, why_not=f"{host.shown} answered {exc.response.status_code}{hint}")
        except ValueError as exc:
            return HostLook(host, why_not=f"{host.shown} is not a ComfyUI server ({exc or 'not JSON'})")
        running = queue.get("queue_running") if isinstance(queue, dict) else None
        pending = queue.get("queue_pending") if isinstance(queue, dict) else None
        queued = len(running or []) + len(pending or [])
        return HostLook(host, load=queued / host.slots, queued=queued)

    async def choose(self, graph: ComfyGraph) -> HostLook:
        """The host for `graph`, or a ProviderError (nothing queued anywhere) saying what each
        host lacks or why it could not be asked."""
        if not self.hosts:
            raise ProviderError("ComfyUI is not configured: set COMFYUI_URLS to your server's address, e.g. "
                                "COMFYUI_URLS=http://127.0.0.1:8188 (several hosts separated by commas).",
                                "auth", provider="comfyui", unpaid=True)
        looks = await asyncio.gather(*(self._look(host, graph) for host in self.hosts))
        usable = [look for look in looks if look.load is not None]
        if usable:
            # Shortest queue per slot; of equals, the one listed first.
            return min(usable, key=lambda look: look.load)
        reasons = "; ".join(look.why_not for look in looks)
        down = all("not reachable" in look.why_not for look in looks)
        kind = "server" if down else "unsupported"
        raise ProviderError(f"No ComfyUI host can run {graph.title}: {reasons}.", kind, provider="comfyui",
                            unpaid=True)
