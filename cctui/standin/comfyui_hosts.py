"""The ComfyUI hosts of the stand-in: each one's node catalogue, folders, queue and clock.

    StandIn(comfy_hosts={"gpu1": {}, "gpu2": {"busy": 3, "busy_seconds": 30}, "gpu3": {"slots": 2},
                         "gpu4": {"nodes_missing": ["VHS_VideoCombine"], "models_missing": [...],
                                  "token": "secret", "vram_free": 2 << 30, "gpu": "NVIDIA GeForce RTX 3090"}})

A host runs at most `slots` prompts at once, lowest `number` first among those queued by then;
each of ours takes the stand-in's `job_seconds`, each of the `busy` prompts another client had
queued at start `busy_seconds`. Starts are worked out lazily from the wall clock (`advance`), as
`jobs.job_phase` does for the other providers; the output files are written the first time a
finished run is looked at (`finish`). Queue and history live in memory, as ComfyUI's do; the
input / output / temp folders under the data directory survive (temp is emptied at start).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import shutil
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .comfyui_graph import Graph, positive_texts, validate_prompt
from .comfyui_outputs import VIDEO_NODES, OutputRefused, OutputWriter
from .errors import marker

if TYPE_CHECKING:
    from .server import StandIn
    from .websocket import WebSocket

NODES_FILE = Path(__file__).with_name("comfyui_nodes.json")
HOST_NAME = re.compile(r"[a-z0-9-]+")
OPTIONS = {"busy": int, "busy_seconds": float, "slots": int, "nodes_missing": list, "models_missing": list,
           "token": str, "vram_free": int, "gpu": str}
VRAM_TOTAL = 25_385_107_456
MAX_HISTORY = 10000
FAIL_AT = 0.5
OOM = {"type": "torch.OutOfMemoryError", "message": "Allocation on device",
       "traceback": ['  File "/ComfyUI/execution.py", line 496, in execute\n',
                     "torch.OutOfMemoryError: Allocation on device\n"]}
_catalogue_cache: dict[str, Any] = {}


def node_catalogue() -> dict[str, Any]:
    if not _catalogue_cache:
        _catalogue_cache.update(json.loads(NODES_FILE.read_text("utf-8")))
    return _catalogue_cache


def parse_hosts(spec: str) -> dict[str, dict[str, Any]]:
    """`gpu1,gpu2:busy=3,gpu3:slots=2:nodes_missing=A+B` → the `comfy_hosts` dict (lists joined by +)."""
    hosts: dict[str, dict[str, Any]] = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        name, *pairs = entry.split(":")
        options: dict[str, Any] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in OPTIONS:
                raise ValueError(f"bad ComfyUI host option {pair!r} (known: {', '.join(OPTIONS)})")
            options[key] = [v for v in value.split("+") if v] if OPTIONS[key] is list else OPTIONS[key](value)
        hosts[name] = options
    return hosts


@dataclass
class QueueItem:
    number: float
    prompt_id: str
    prompt: Graph
    extra_data: dict[str, Any]
    outputs: list[str]
    queued: float
    duration: float
    outcome: str = "ok"  # ok | fail | noVideo | stuck (runs until interrupted, the sampler half-way)
    start: float | None = None
    end: float | None = None  # when it stops running: done, failed half-way or interrupted
    interrupted: bool = False
    result: dict[str, Any] | None = None  # node id -> UI output, once finished successfully
    error: dict[str, Any] | None = None  # the exception it failed with
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_list(self) -> list[Any]:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]

    @property
    def client_id(self) -> str | None:
        return self.extra_data.get("client_id")


def _busy_prompt(index: int) -> Graph:
    """What the other client queued: a plain SDXL picture."""
    link = lambda node, slot: [node, slot]  # noqa: E731 - reads like the API format
    return {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": f"a lighthouse at dusk, take {index}",
                                                             "clip": link("4", 1)}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": link("4", 1)}},
            "3": {"class_type": "KSampler", "inputs": {"seed": index, "steps": 25, "cfg": 7.0,
                                                       "sampler_name": "euler", "scheduler": "normal",
                                                       "positive": link("6", 0), "negative": link("7", 0),
                                                       "model": link("4", 0), "latent_image": link("5", 0),
                                                       "denoise": 1.0}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": link("3", 0), "vae": link("4", 2)}},
            "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "other", "images": link("8", 0)}}}


class ComfyHost:
    def __init__(self, srv: "StandIn", name: str, options: dict[str, Any]):
        unknown = set(options) - set(OPTIONS)
        if unknown or not HOST_NAME.fullmatch(name):
            raise ValueError(f"bad ComfyUI host {name!r}" + (f": unknown options {sorted(unknown)}" if unknown else ""))
        self.srv = srv
        self.name = name
        self.slots = max(1, int(options.get("slots", 1)))
        self.nodes_missing = set(options.get("nodes_missing", []))
        self.models_missing = set(options.get("models_missing", []))
        self.token: str | None = options.get("token")
        self.vram_free = int(options.get("vram_free", 23_000_000_000))
        gpu = str(options.get("gpu", "NVIDIA GeForce RTX 4090"))
        self.device = gpu if gpu.startswith("cuda:") else f"cuda:0 {gpu} : cudaMallocAsync"
        root = srv.data_dir / "comfyui" / name
        self.input_dir, self.output_dir, self.temp_dir = root / "input", root / "output", root / "temp"
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        for folder in (self.input_dir, self.output_dir, self.temp_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.temp_suffix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))
        self.lock = threading.RLock()
        self.queue: list[QueueItem] = []  # queued or running, in the order they were queued
        self.history: dict[str, QueueItem] = {}  # finished, in the order they finished
        self.sockets: set["WebSocket"] = set()
        self.number = 0
        self.last_start = 0.0  # starts are handed out in time order, never before an earlier one
        now = time.time()
        busy_seconds = float(options.get("busy_seconds", 30.0))
        for index in range(int(options.get("busy", 0))):
            extra = {"client_id": f"other-{uuid.uuid4().hex[:12]}", "create_time": int(now * 1000)}
            self.queue.append(QueueItem(self.number, str(uuid.uuid4()), _busy_prompt(index), extra, ["9"], now,
                                        busy_seconds))
            self.number += 1

    # ------------------------------------------------------------------ what the host has

    def catalogue(self, *, nested_inputs: bool = False) -> dict[str, dict[str, Any]]:
        """`/object_info`; `nested_inputs` also lists uploads in subfolders (LoadImage accepts them)."""
        data = node_catalogue()
        lists = {folder: [m for m in files if m not in self.models_missing] for folder, files in data["models"].items()}
        lists.update(samplers=data["samplers"], schedulers=data["schedulers"],
                     input_images=self.input_files(nested_inputs))
        nodes: dict[str, dict[str, Any]] = {}
        for name, spec in data["nodes"].items():
            if name in self.nodes_missing:
                continue
            info = copy.deepcopy(spec)
            for group in ("required", "optional"):
                for entry in info["input"].get(group, {}).values():
                    if isinstance(entry[0], str) and entry[0].startswith("$"):
                        entry[0] = list(lists[entry[0][1:]])
            outputs = info["output"]
            nodes[name] = {"input": info["input"], "input_order": {k: list(v) for k, v in info["input"].items()},
                           "output": outputs, "output_is_list": [False] * len(outputs),
                           "output_name": info["output_name"], "name": name, "display_name": info["display_name"],
                           "description": info["description"], "python_module": info["python_module"],
                           "category": info["category"], "output_node": info["output_node"]}
        return nodes

    def input_files(self, nested: bool = False) -> list[str]:
        found = self.input_dir.rglob("*") if nested else self.input_dir.iterdir()
        return sorted(p.relative_to(self.input_dir).as_posix() for p in found
                      if p.is_file() and not p.name.startswith("."))

    def folder(self, kind: str | None) -> Path | None:
        return {"input": self.input_dir, "output": self.output_dir, "temp": self.temp_dir}.get(kind or "")

    # ------------------------------------------------------------------ the queue

    def advance(self, now: float) -> None:
        """Start what has had a free slot by `now` and move what has ended into the history."""
        with self.lock:
            while True:
                waiting = [i for i in self.queue if i.start is None]
                if not waiting:
                    break
                started = [i for i in self.queue if i.start is not None]
                at = max(min(i.queued for i in waiting), self.last_start)
                ends = sorted(i.end for i in started if i.end is not None and i.end > at)
                if len(ends) >= self.slots:
                    at = ends[len(ends) - self.slots]
                if at > now:
                    break
                item = min((i for i in waiting if i.queued <= at), key=lambda i: i.number)
                item.start = self.last_start = at
                item.end = at + {"fail": item.duration * FAIL_AT, "stuck": float("inf")}.get(item.outcome,
                                                                                         item.duration)
            for item in sorted((i for i in self.queue if i.end is not None and i.end <= now), key=lambda i: i.end):
                self.queue.remove(item)
                self.history.pop(item.prompt_id, None)
                self.history[item.prompt_id] = item
                while len(self.history) > MAX_HISTORY:
                    self.history.pop(next(iter(self.history)))

    def lists(self, now: float | None = None) -> tuple[list[QueueItem], list[QueueItem]]:
        """(running, pending), as `/queue` shows them."""
        with self.lock:
            self.advance(time.time() if now is None else now)
            running = [i for i in self.queue if i.start is not None]
            pending = sorted((i for i in self.queue if i.start is None), key=lambda i: i.number)
            return running, pending

    def remaining(self) -> int:
        running, pending = self.lists()
        return len(running) + len(pending)

    def queue_prompt(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """`POST /prompt`: (status, answer)."""
        with self.lock:
            if "number" in body:
                number = float(body["number"])
            else:
                number = -self.number if body.get("front") else self.number
                self.number += 1
        if "prompt" not in body:
            error = {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided",
                     "extra_info": {}}
            return 400, {"error": error, "node_errors": {}}
        prompt = body["prompt"]
        if not isinstance(prompt, dict):
            raise TypeError("prompt is not an object")  # ComfyUI fails on it the same way: a 500
        prompt_id = str(body["prompt_id"]) if "prompt_id" in body else str(uuid.uuid4())
        ok, error, outputs, node_errors = validate_prompt(prompt, self.catalogue(nested_inputs=True))
        if not ok:
            return 400, {"error": error, "node_errors": node_errors}
        extra_data = body.get("extra_data") if isinstance(body.get("extra_data"), dict) else {}
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        now = time.time()
        extra_data["create_time"] = int(now * 1000)
        texts = " ".join(positive_texts(prompt))
        outcome = next((m for m in ("fail", "stuck", "noVideo") if marker(texts, m)), "ok")
        item = QueueItem(number, prompt_id, prompt, extra_data, outputs, now, self.srv.job_seconds, outcome)
        with self.lock:
            self.queue.append(item)
            self.advance(now)
        return 200, {"prompt_id": prompt_id, "number": number, "node_errors": node_errors}

    def delete(self, prompt_ids: list[Any]) -> None:
        with self.lock:
            self.queue = [i for i in self.queue if i.start is not None or i.prompt_id not in prompt_ids]

    def clear(self) -> None:
        with self.lock:
            self.queue = [i for i in self.queue if i.start is not None]

    def interrupt(self, prompt_id: str | None = None) -> None:
        """Stop the running prompt (every running one: several slots share no interrupt flag here)."""
        with self.lock:
            now = time.time()
            self.advance(now)
            for item in self.queue:
                if item.start is not None and (prompt_id is None or item.prompt_id == prompt_id):
                    item.end, item.interrupted = now, True
            self.advance(now)

    # ------------------------------------------------------------------ finished runs

    def finish(self, item: QueueItem) -> QueueItem:
        """Write a successful run's files (once): its UI outputs, or the error it met saving them."""
        with item.lock:
            if item.result is not None or item.error is not None or item.interrupted:
                return item
            if item.outcome == "fail":
                item.error = dict(OOM)
                return item
            writer = OutputWriter(self, item.prompt)
            result: dict[str, Any] = {}
            for node_id in item.outputs:
                if item.outcome == "noVideo" and item.prompt[node_id]["class_type"] in VIDEO_NODES:
                    continue
                try:
                    result[node_id] = writer.write(node_id)
                except OutputRefused as exc:
                    item.error = {"type": "Exception", "message": str(exc), "node_id": node_id,
                                  "node_type": item.prompt[node_id]["class_type"]}
                    return item
            item.result = result
        return item

    def finished(self, prompt_id: str | None = None, max_items: int | None = None,
                 offset: int = -1) -> list[QueueItem]:
        """History entries (one, or a window as `get_history` takes it), their files written."""
        with self.lock:
            self.advance(time.time())
            if prompt_id is not None:
                chosen = [self.history[prompt_id]] if prompt_id in self.history else []
            else:
                items = list(self.history.values())
                if offset < 0 and max_items is not None:
                    offset = len(items) - max_items
                chosen = items[max(0, offset):]
                chosen = chosen[:max_items] if max_items is not None else chosen
        return [self.finish(item) for item in chosen]

    def forget(self, prompt_ids: list[Any] | None) -> None:
        with self.lock:
            if prompt_ids is None:
                self.history.clear()
            for prompt_id in prompt_ids or []:
                self.history.pop(prompt_id, None)


class ComfyHosts:
    """All hosts of one stand-in, by name."""

    def __init__(self, srv: "StandIn", specs: dict[str, dict[str, Any]] | None):
        self.hosts = {name: ComfyHost(srv, name, dict(options or {}))
                      for name, options in (specs if specs is not None else {"gpu1": {}}).items()}

    def get(self, name: str) -> ComfyHost | None:
        return self.hosts.get(name)

    def urls(self, base: str) -> dict[str, str]:
        return {name: f"{base}/{name}" for name in self.hosts}

    def close(self) -> None:
        """Close every open websocket (going away), so a stopping stand-in does not wait on them."""
        for host in self.hosts.values():
            with host.lock:
                sockets = list(host.sockets)
            for ws in sockets:
                ws.close(1001, "server shutting down")
