"""ComfyUI over its HTTP API: the creator's own GPUs, one host or many.

A job's life: `place()` picks the host (shortest queue among those with every node and model the
graph needs) and the job manager stores it with the job before anything is sent; `submit()`
uploads the source image (`POST /upload/image`) and queues the filled graph (`POST /prompt`)
with this client's id and the job's marker in `extra_data`; `poll()` reads the host's websocket
feed, else `/queue` then `/history/{prompt_id}`; `download()` fetches the video with `/view`.
A queue request whose answer was lost is settled by `find_submitted()`, which looks for the
job's marker in that host's queue and history. Nothing here costs money, so no price applies.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .comfyui_graph import ComfyGraph, is_video_entry, output_files
from .comfyui_pool import HostPool
from .comfyui_progress import ProgressFeed
from .downloads import httpx_opener, remove_files, save_download
from .http_errors import redact, response_json, short, transport_error
from .image_prep import require_source_file
from .job_ids import checked_id
from .tls import ssl_context

API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
TRANSFER_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
HOST_PARAM = "host"
MARKER_KEY = "cctui_job"
_PROMPT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,127}")
_UPLOADED_NAME = re.compile(r"[^/\\\x00-\x1f]{1,255}")


def checked_prompt_id(value: Any) -> str:
    return checked_id(value, _PROMPT_ID, "ComfyUI", "letters, digits, - and _", "comfyui")


def _node_errors_text(body: dict[str, Any]) -> str:
    """ComfyUI's validation answer as sentences: each node's errors, with its type and input."""
    parts = []
    for node_id, entry in (body.get("node_errors") or {}).items():
        if not isinstance(entry, dict):
            continue
        for error in entry.get("errors") or []:
            if isinstance(error, dict):
                parts.append(f"node {node_id} ({entry.get('class_type', '?')}): {error.get('message', 'invalid')}"
                             + (f" - {error['details']}" if error.get("details") else ""))
    top = body.get("error")
    if isinstance(top, dict) and not parts:
        parts.append(str(top.get("message") or top.get("type") or "invalid graph")
                     + (f" ({top['details']})" if top.get("details") else ""))
    elif isinstance(top, str) and not parts:
        parts.append(top)
    return "; ".join(parts) or "the graph was refused"


class ComfyUIClient:
    """`MediaProvider` for ("comfyui", "img2vid") and ("comfyui", "txt2img").

    settings: comfyui_urls (one or more hosts, see `cctui.comfyui_hosts`), comfyui_token.
    params: graph (attached from the workflow's graph file), prompt, negative_prompt, seed,
    duration (seconds), aspect_ratio. `request.placement["host"]`: the host chosen by `place()`.
    """

    name = "comfyui"
    cost_unit = "usd"
    result_window = 7 * 24 * 3600.0  # a host keeps its history until it restarts

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None):
        self.settings = settings
        self._secrets = settings.secret_values()
        token = settings.comfyui_token.get_secret_value() if settings.comfyui_token else ""
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = client or httpx.AsyncClient(headers=self._headers, timeout=API_TIMEOUT, verify=ssl_context())
        self.pool = HostPool(settings.comfyui_hosts(), self.http)
        # One id for this cctui: ComfyUI sends a prompt's progress to the socket of the id it was queued with.
        self.client_id = f"cctui-{uuid.uuid4().hex}"
        self._feeds: dict[str, ProgressFeed] = {}

    async def aclose(self) -> None:
        for feed in list(self._feeds.values()):
            await feed.close()
        self._feeds.clear()
        await self.http.aclose()

    def supports(self, action: str) -> bool:
        return action in ("img2vid", "txt2img")

    def setup_needed(self) -> str | None:
        if self.pool.hosts:
            return None
        return ("ComfyUI is not configured: set COMFYUI_URLS to your server's address (e.g. "
                "COMFYUI_URLS=http://127.0.0.1:8188; several hosts separated by commas), then start cctui again.")

    # ------------------------------------------------------------------ checks

    def check(self, request: MediaRequest) -> None:
        if request.action not in ("img2vid", "txt2img"):
            raise ProviderError(f"ComfyUI cannot do {request.action} here.", "unsupported", provider=self.name)
        if not self.pool.hosts and not request.placement.get(HOST_PARAM):
            raise ProviderError("ComfyUI is not configured: set COMFYUI_URLS to your server's address, e.g. "
                                "COMFYUI_URLS=http://127.0.0.1:8188 (several hosts separated by commas).",
                                "auth", provider=self.name)
        if not request.media_dir or not request.stem:
            raise ProviderError("The job has no media folder or file name stem.", "bad_request", provider=self.name)
        graph = ComfyGraph.from_params(request.params)
        if not str(request.params.get("prompt") or "").strip():
            raise ProviderError("The prompt is empty.", "bad_request", provider=self.name)
        graph.size_for(request.params.get("aspect_ratio"))
        duration = request.params.get("duration")
        if duration not in (None, ""):
            try:
                seconds = float(duration)
            except (TypeError, ValueError):
                raise ProviderError(f"The duration must be a number of seconds, not {duration!r}.", "bad_request",
                                    provider=self.name) from None
            if not 0 < seconds <= 60:
                raise ProviderError(f"The duration must be from 1 to 60 seconds, not {duration}.", "bad_request",
                                    provider=self.name)
        if request.action == "img2vid":
            if not graph.takes_image:
                raise ProviderError(f"ComfyUI graph {graph.title} has no input for the source image "
                                    "(fields.source_image): it cannot make a video from the chosen image.",
                                    "unsupported", provider=self.name)
            require_source_file(request.source_image, self.name)

    def estimate(self, request: MediaRequest) -> Cost:
        graph = request.params.get("graph")
        name = graph.get("name") if isinstance(graph, dict) else graph  # the form prices the option's name
        return Cost(0.0, "usd", quantity=1, per="graph", unit_price=0.0, model=str(name or "graph"),
                    source="provider")

    async def place(self, request: MediaRequest) -> dict[str, Any]:
        """Where the job goes, stored with it before its graph is sent: the host that runs it."""
        look = await self.pool.choose(ComfyGraph.from_params(request.params))
        return {HOST_PARAM: look.host.url, "queued_there": look.queued}

    def _host(self, request: MediaRequest):
        url = request.placement.get(HOST_PARAM)
        if not url:
            raise ProviderError("This ComfyUI job was never given a host.", "bad_request", provider=self.name,
                                unpaid=True)
        return self.pool.host(str(url))

    # ------------------------------------------------------------------ HTTP

    async def _call(self, method: str, url: str, what: str, *, shown: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            error = transport_error(exc, provider=self.name, what=what, where=f"ComfyUI at {shown}",
                                    secrets=self._secrets)
            # Refused or unresolved: the request never reached the server, so sending it again is safe.
            error.unpaid = isinstance(exc, httpx.ConnectError)
            raise error from None

    def _status_error(self, response: httpx.Response, what: str, shown: str) -> ProviderError:
        status = response.status_code
        text = short(response.text or response.reason_phrase or "no details", 300)
        if status in (401, 403):
            return ProviderError(f"{what}: ComfyUI at {shown} refused access ({status}). Check COMFYUI_TOKEN.",
                                 "auth", provider=self.name, status=status)
        kind = "server" if status >= 500 or status == 429 else "not_found" if status == 404 else "bad_request"
        return ProviderError(redact(f"{what}: ComfyUI at {shown} answered {status} ({text}).", self._secrets),
                             kind, provider=self.name, status=status)

    async def _json(self, url: str, what: str, shown: str) -> Any:
        response = await self._call("GET", url, what, shown=shown)
        if not response.is_success:
            raise self._status_error(response, what, shown)
        body = response_json(response)
        if body is None:
            raise ProviderError(f"{what}: ComfyUI at {shown} answered something that is not JSON.", "server",
                                provider=self.name, status=response.status_code)
        return body

    # ------------------------------------------------------------------ submit

    async def _upload(self, host, request: MediaRequest) -> str:
        source = Path(request.source_image.local_path)
        what = "Uploading the source image to ComfyUI"
        # The job's own name: two jobs never overwrite each other's picture on a shared server.
        filename = f"{request.stem}{source.suffix.lower() or '.png'}"
        response = await self._call(
            "POST", host.url + "/upload/image", what, shown=host.shown,
            data={"type": "input", "overwrite": "true", "subfolder": "cctui"},
            files={"image": (filename, source.read_bytes(), "application/octet-stream")},
            timeout=TRANSFER_TIMEOUT)
        if not response.is_success:
            error = self._status_error(response, what, host.shown)
            error.unpaid = True
            raise error
        body = response_json(response)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not _UPLOADED_NAME.fullmatch(name):
            raise ProviderError(f"{what}: ComfyUI at {host.shown} did not say what it named the file.",
                                "server", provider=self.name, unpaid=True)
        subfolder = body.get("subfolder") or ""
        return f"{subfolder}/{name}" if subfolder else name

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        host = self._host(request)
        graph = ComfyGraph.from_params(request.params)
        image_name = await self._upload(host, request) if request.action == "img2vid" else None
        nodes = graph.filled(request.params, image_name)
        prompt_id = str(uuid.uuid4())
        body = {"prompt": nodes, "client_id": self.client_id, "prompt_id": prompt_id,
                "extra_data": {MARKER_KEY: request.stem}}
        what = f"Queueing {graph.title} on ComfyUI"
        response = await self._call("POST", host.url + "/prompt", what, shown=host.shown, json=body)
        answer = response_json(response)
        if response.status_code == 400 and isinstance(answer, dict):
            self.pool.forget(host)  # the server may have changed since its /object_info was read
            raise ProviderError(redact(f"{what}: ComfyUI at {host.shown} refused the graph: "
                                       f"{short(_node_errors_text(answer), 600)}.", self._secrets),
                                "bad_request", provider=self.name, status=400)
        if not response.is_success:
            raise self._status_error(response, what, host.shown)
        if not isinstance(answer, dict) or not answer.get("prompt_id"):
            raise ProviderError(f"{what}: ComfyUI at {host.shown} answered without a prompt id; it may have "
                                "queued the graph anyway.", "server", provider=self.name, status=response.status_code)
        queued = checked_prompt_id(answer["prompt_id"])
        self._feed(host).watch(queued)
        return Submitted(provider_job_id=queued, cost=self.estimate(request), poll_after=0.5)

    def _feed(self, host) -> ProgressFeed:
        if host.url not in self._feeds:
            self._feeds[host.url] = ProgressFeed(host.url, self.client_id, self._headers)
        return self._feeds[host.url]

    # ------------------------------------------------------------------ poll and download

    async def _history(self, host, prompt_id: str) -> dict[str, Any] | None:
        body = await self._json(f"{host.url}/history/{prompt_id}", f"Checking ComfyUI job {prompt_id}", host.shown)
        entry = body.get(prompt_id) if isinstance(body, dict) else None
        return entry if isinstance(entry, dict) else None

    async def _queue(self, host) -> dict[str, Any]:
        body = await self._json(host.url + "/queue", "Reading the ComfyUI queue", host.shown)
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _in(items: Any, prompt_id: str) -> int | None:
        for place, item in enumerate(items or []):
            if isinstance(item, list) and len(item) > 1 and str(item[1]) == prompt_id:
                return place
        return None

    @staticmethod
    def _error_of(entry: dict[str, Any]) -> str | None:
        status = entry.get("status")
        if not isinstance(status, dict) or status.get("status_str") != "error":
            return None
        for message in status.get("messages") or []:
            if isinstance(message, list) and len(message) == 2 and message[0] == "execution_error" \
                    and isinstance(message[1], dict):
                data = message[1]
                return (f"{data.get('node_type', 'a node')} (node {data.get('node_id', '?')}) failed: "
                        f"{short(str(data.get('exception_message') or data.get('exception_type') or 'error'), 300)}")
        return "the graph stopped with an error"

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        prompt_id = checked_prompt_id(provider_job_id)
        host = self._host(request)
        feed = self._feed(host)
        feed.watch(prompt_id)
        heard = feed.get(prompt_id)
        if heard is not None and heard.state == "running":
            return JobProgress(status=ProviderJobState.RUNNING, progress=heard.percent, poll_after=1.0)
        # Queue first, history second: a prompt finishing between the two reads is then in the history.
        queue = await self._queue(host)
        if self._in(queue.get("queue_running"), prompt_id) is not None:
            return JobProgress(status=ProviderJobState.RUNNING, progress=heard.percent if heard else None)
        waiting = self._in(queue.get("queue_pending"), prompt_id)
        if waiting is not None:
            return JobProgress(status=ProviderJobState.QUEUED, progress=None)
        entry = await self._history(host, prompt_id)
        if entry is None:
            raise ProviderError(f"ComfyUI at {host.shown} has no record of job {prompt_id} in its queue or its "
                                "history: the server was restarted (which empties both) or its history was "
                                "cleared. Nothing was charged; generate again.", "not_found", provider=self.name)
        error = self._error_of(entry)
        feed.forget(prompt_id)
        if error:
            return JobProgress(status=ProviderJobState.FAILED, error=ProviderError(
                f"ComfyUI at {host.shown}: {error}.", "failed", provider=self.name))
        return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        prompt_id = checked_prompt_id(provider_job_id)
        host = self._host(request)
        entry = await self._history(host, prompt_id)
        if entry is None:
            raise ProviderError(f"ComfyUI at {host.shown} no longer has job {prompt_id} in its history.",
                                "not_found", provider=self.name)
        files = output_files(entry.get("outputs") or {})
        graph = ComfyGraph.from_params(request.params)
        wanted = [f for f in files if is_video_entry(f[1])] if request.action == "img2vid" else \
            [f for f in files if not is_video_entry(f[1])]
        if not wanted:
            # The graph ran to its end: fetching again cannot change that, so not a transient "failed".
            raise ProviderError(self._nothing_made(graph, files, request.action, host.shown), "bad_request",
                                provider=self.name)
        saved: list[MediaFile] = []
        try:
            for index, (node_id, entry_file) in enumerate(wanted, start=1):
                query = urlencode({"filename": entry_file["filename"], "subfolder": entry_file.get("subfolder") or "",
                                   "type": entry_file.get("type") or "output"})
                url = f"{host.url}/view?{query}"
                kind = "video" if request.action == "img2vid" else "image"
                suffix = "" if kind == "video" or len(wanted) == 1 else f"_{index}"
                got = await save_download(httpx_opener(self.http, url), media_dir=request.media_dir,
                                          stem=request.stem, suffix=suffix,
                                          default_ext=".mp4" if kind == "video" else ".png", provider=self.name,
                                          what=f"The output of ComfyUI job {prompt_id}", secrets=self._secrets)
                saved.append(MediaFile(kind, str(got.path), url=None, mime=got.mime, metadata={
                    "prompt_id": prompt_id, "host": host.shown, "graph": graph.name, "graph_title": graph.title,
                    "node": node_id, "seed": self._seed(entry, graph), "index": index}))
                if kind == "video":
                    break  # one clip per job; a second output node is a preview
        except BaseException:
            remove_files([f.local_path for f in saved])  # complete or not at all
            raise
        return saved

    @staticmethod
    def _seed(entry: dict[str, Any], graph: ComfyGraph) -> Any:
        """The seed the graph ran with, read back from the queued prompt in the history."""
        target = graph.fields.get("seed")
        prompt = entry.get("prompt")
        nodes = prompt[2] if isinstance(prompt, list) and len(prompt) > 2 and isinstance(prompt[2], dict) else {}
        if target and isinstance(nodes.get(target[0]), dict):
            return nodes[target[0]].get("inputs", {}).get(target[1])
        return None

    @staticmethod
    def _nothing_made(graph: ComfyGraph, files: list[tuple[str, dict[str, Any]]], action: str, shown: str) -> str:
        wanted = "a video" if action == "img2vid" else "an image"
        if not files:
            return (f"ComfyUI at {shown} finished {graph.title} but no node returned a file: the graph needs an "
                    f"output node that saves {wanted} (SaveVideo or VHS_VideoCombine for a video, SaveImage for "
                    "pictures).")
        got = ", ".join(sorted({f"node {node} ({Path(entry['filename']).suffix or 'file'})" for node, entry in files}))
        return (f"ComfyUI at {shown} finished {graph.title} but returned no {wanted.split()[-1]}: it returned {got}. "
                + ("End the graph in SaveVideo or VHS_VideoCombine (video/h264-mp4)." if action == "img2vid"
                   else "End the graph in SaveImage."))

    # ------------------------------------------------------------------ a lost queue request

    async def find_submitted(self, request: MediaRequest, since: float, exclude: set[str]) -> str | None:
        """The prompt id a lost `POST /prompt` for `request` created on its host, found by the job's
        marker (`extra_data.cctui_job`) in the host's queue and history; None if it is in neither."""
        host = self._host(request)
        marker = request.stem
        queue = await self._queue(host)
        history = await self._json(host.url + "/history?max_items=256", "Reading the ComfyUI history", host.shown)
        items = list(queue.get("queue_running") or []) + list(queue.get("queue_pending") or [])
        items += [entry.get("prompt") for entry in (history.values() if isinstance(history, dict) else [])
                  if isinstance(entry, dict)]
        for item in items:
            if not (isinstance(item, list) and len(item) > 3 and isinstance(item[3], dict)):
                continue
            if item[3].get(MARKER_KEY) == marker and str(item[1]) not in exclude:
                found = checked_prompt_id(item[1])
                self._feed(host).watch(found)
                return found
        return None

    # ------------------------------------------------------------------ doctor

    async def host_report(self) -> list[dict[str, Any]]:
        """Each host's /system_stats, for `cctui doctor`: its GPU, free VRAM and ComfyUI version."""
        import asyncio

        async def one(host) -> dict[str, Any]:
            report: dict[str, Any] = {"host": host.shown, "slots": host.slots}
            try:
                stats = await self._json(host.url + "/system_stats", "Asking ComfyUI", host.shown)
            except ProviderError as exc:
                report["problem"] = str(exc)
                return report
            devices = stats.get("devices") if isinstance(stats, dict) else None
            device = devices[0] if isinstance(devices, list) and devices and isinstance(devices[0], dict) else {}
            system = stats.get("system") if isinstance(stats, dict) and isinstance(stats.get("system"), dict) else {}
            report.update(gpu=device_name(device.get("name")), vram_free=device.get("vram_free"),
                          vram_total=device.get("vram_total"), version=system.get("comfyui_version"))
            return report

        return list(await asyncio.gather(*(one(host) for host in self.pool.hosts)))


def device_name(raw: Any) -> str:
    """"NVIDIA GeForce RTX 4090" from ComfyUI's "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync"."""
    text = str(raw or "").strip()
    if not text:
        return "no GPU reported"
    head, _, rest = text.partition(" ")
    if ":" in head and rest:  # "cuda:0", "xpu:0", "mps": the device index, not its name
        text = rest
    return text.split(" : ")[0].strip() or "no GPU reported"
