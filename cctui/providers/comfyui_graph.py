"""A ComfyUI graph as cctui carries it: the API-format graph a creator exported, the form fields it
takes, and the checks made before anything is queued.

A graph file (workflow data, beside its step) is JSON:

    {"title": "...", "about": "...",
     "fields": {"prompt": ["6", "text"], "seed": ["3", "seed"], "source_image": ["56", "image"], ...},
     "sizes": {"9:16": [704, 1280], "16:9": [1280, 704]}, "fps": 24,
     "frames": {"step": 4, "plus": 1, "max": 121},
     "graph": {<node id>: {"class_type": ..., "inputs": {...}}, ...}}

`fields` maps what the form sets to [node id, input name]. `frames` says which frame counts the
model takes (a multiple of `step`, plus `plus`). The graph is whatever ComfyUI's "Export (API)"
wrote; one saved with plain "Save" (the UI format, with "nodes" and "links" lists) is refused
with the way to export it properly.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from .base import ProviderError

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx")
SETTABLE = ("prompt", "negative_prompt", "seed", "frames", "width", "height", "fps", "frame_rate",
            "source_image", "batch_size")
# The outputs that carry a finished file, by the key a node reports it under in /history.
FILE_OUTPUT_KEYS = ("videos", "gifs", "images", "audio")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".gif", ".webp")
MAX_SEED = 2**32 - 1


def _refuse(message: str) -> ProviderError:
    return ProviderError(message, "bad_request", provider="comfyui", unpaid=True)


@dataclass
class ComfyGraph:
    name: str
    title: str
    nodes: dict[str, dict[str, Any]]
    fields: dict[str, tuple[str, str]]
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    fps: float = 24.0
    frame_step: int = 1
    frame_plus: int = 0
    max_frames: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "ComfyGraph":
        """The graph a job's params carry (`params["graph"]`, attached from the workflow's file)."""
        data = params.get("graph")
        if isinstance(data, str) or data is None:
            raise _refuse("No ComfyUI graph is attached to this request: the form's Graph field names a graph "
                          "file that the workflow does not have" if data else
                          "No ComfyUI graph was chosen: pick one in the form's Graph field.")
        return cls.from_data(data, str(data.get("name") or "graph") if isinstance(data, dict) else "graph")

    @classmethod
    def from_data(cls, data: Any, name: str) -> "ComfyGraph":
        if not isinstance(data, dict):
            raise _refuse(f"ComfyUI graph {name}: expected a JSON object, got {type(data).__name__}.")
        nodes = data.get("graph")
        if isinstance(nodes, dict) and isinstance(nodes.get("nodes"), list) and "links" in nodes:
            raise _refuse(f"ComfyUI graph {name} is in ComfyUI's UI format (it has 'nodes' and 'links' lists). "
                          "Export it again with Workflow > Export (API) and put that file's contents under 'graph'.")
        if not isinstance(nodes, dict) or not nodes:
            raise _refuse(f"ComfyUI graph {name}: 'graph' must be the API-format graph (an object of nodes).")
        for node_id, node in nodes.items():
            if not isinstance(node, dict) or not isinstance(node.get("class_type"), str) \
                    or not isinstance(node.get("inputs"), dict):
                raise _refuse(f"ComfyUI graph {name}: node {node_id!r} needs a 'class_type' and an 'inputs' object "
                              "(is this an API-format export?).")
        fields: dict[str, tuple[str, str]] = {}
        for key, target in (data.get("fields") or {}).items():
            if key not in SETTABLE:
                raise _refuse(f"ComfyUI graph {name}: fields.{key} is not a field cctui sets "
                              f"(it sets {', '.join(SETTABLE)}).")
            if not (isinstance(target, list) and len(target) == 2 and all(isinstance(t, str) for t in target)):
                raise _refuse(f"ComfyUI graph {name}: fields.{key} must be [node id, input name].")
            node_id, input_name = target
            if node_id not in nodes:
                raise _refuse(f"ComfyUI graph {name}: fields.{key} names node {node_id!r}, which the graph "
                              "does not have.")
            if input_name not in nodes[node_id]["inputs"]:
                raise _refuse(f"ComfyUI graph {name}: fields.{key} names input {input_name!r} of node {node_id} "
                              f"({nodes[node_id]['class_type']}), which that node does not have in the graph.")
            fields[key] = (node_id, input_name)
        if "prompt" not in fields:
            raise _refuse(f"ComfyUI graph {name}: 'fields' must say where the prompt goes (fields.prompt).")
        sizes = {}
        for aspect, size in (data.get("sizes") or {}).items():
            if not (isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and s > 0 for s in size)):
                raise _refuse(f"ComfyUI graph {name}: sizes.{aspect} must be [width, height].")
            sizes[aspect] = (size[0], size[1])
        frames = data.get("frames") or {}
        return cls(name=name, title=str(data.get("title") or name), nodes=nodes, fields=fields, sizes=sizes,
                   fps=float(data.get("fps") or 24), frame_step=int(frames.get("step") or 1),
                   frame_plus=int(frames.get("plus") or 0), max_frames=int(frames.get("max") or 0))

    # ------------------------------------------------------------------ what the form sets

    @property
    def takes_image(self) -> bool:
        return "source_image" in self.fields

    def size_for(self, aspect: str | None) -> tuple[int, int] | None:
        if not self.sizes:
            return None
        if aspect and aspect not in self.sizes:
            raise _refuse(f"ComfyUI graph {self.title} makes {' or '.join(self.sizes)}, not {aspect}.")
        return self.sizes.get(aspect or "") or next(iter(self.sizes.values()))

    def frames_for(self, seconds: float) -> int:
        """The frame count nearest `seconds` that the model takes (e.g. 4n+1 for Wan)."""
        wanted = max(1.0, seconds * self.fps)
        step = max(1, self.frame_step)
        count = max(1, round((wanted - self.frame_plus) / step)) * step + self.frame_plus
        if self.max_frames:
            while count > self.max_frames:
                count -= step
        return max(count, step + self.frame_plus)

    def filled(self, params: dict[str, Any], image_name: str | None) -> dict[str, Any]:
        """A copy of the graph with the form's values put where `fields` says."""
        nodes = copy.deepcopy(self.nodes)
        values: dict[str, Any] = {"prompt": str(params.get("prompt") or "")}
        if "negative_prompt" in params:
            values["negative_prompt"] = str(params.get("negative_prompt") or "")
        values["seed"] = seed_of(params.get("seed"))
        size = self.size_for(params.get("aspect_ratio"))
        if size:
            values["width"], values["height"] = size
        if params.get("duration") not in (None, ""):
            values["frames"] = self.frames_for(float(params["duration"]))
        if params.get("batch_size") not in (None, ""):
            values["batch_size"] = max(1, min(8, int(params["batch_size"])))
        values["fps"] = self.fps
        values["frame_rate"] = self.fps
        if image_name is not None:
            values["source_image"] = image_name
        for key, value in values.items():
            if key in self.fields:
                node_id, input_name = self.fields[key]
                nodes[node_id]["inputs"][input_name] = value
        return nodes

    # ------------------------------------------------------------------ what the server must have

    def problems_on(self, object_info: dict[str, Any], host: str) -> list[str]:
        """What `host` lacks to run this graph, each as a sentence naming the node, from its
        /object_info: node types it has not installed, model files it does not list, settings
        it does not offer. The input the uploaded image fills is not checked (it is uploaded
        after the host is chosen)."""
        problems: list[str] = []
        missing_types = sorted({node["class_type"] for node in self.nodes.values()
                                if node["class_type"] not in object_info})
        for class_type in missing_types:
            ids = ", ".join(i for i, n in self.nodes.items() if n["class_type"] == class_type)
            problems.append(f"node type {class_type} (node {ids}) is not installed on {host}: install the custom "
                            f"node pack that provides it, or pick another graph")
        skip = {self.fields["source_image"]} if self.takes_image else set()
        for node_id, node in self.nodes.items():
            info = object_info.get(node["class_type"])
            if not isinstance(info, dict):
                continue
            specs = {**(info.get("input") or {}).get("required", {}), **(info.get("input") or {}).get("optional", {})}
            for input_name, value in node["inputs"].items():
                if (node_id, input_name) in skip or not isinstance(value, str):
                    continue
                options = combo_options(specs.get(input_name))
                if options is None or value in options:
                    continue
                if value.lower().endswith(MODEL_SUFFIXES):
                    problems.append(f"model file {value} (node {node_id}, {node['class_type']}.{input_name}) is "
                                    f"not on {host}: put it in the server's models folder "
                                    f"({model_folder(node['class_type'])}) and restart ComfyUI, or change the graph")
                else:
                    shown = ", ".join(map(str, options[:8])) + (", ..." if len(options) > 8 else "")
                    problems.append(f"{node['class_type']}.{input_name} = {value!r} (node {node_id}) is not offered "
                                    f"by {host} (it offers {shown})")
        return problems


def combo_options(spec: Any) -> list[Any] | None:
    """The allowed values of a combo input spec, in both forms /object_info uses:
    `[[a, b, c], {...}]` and `["COMBO", {"options": [a, b, c]}]`; None for any other input."""
    if not isinstance(spec, list) or not spec:
        return None
    if isinstance(spec[0], list):
        return spec[0]
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        options = spec[1].get("options")
        return options if isinstance(options, list) else None
    return None


def model_folder(class_type: str) -> str:
    return {"CheckpointLoaderSimple": "models/checkpoints", "UNETLoader": "models/diffusion_models",
            "CLIPLoader": "models/text_encoders", "DualCLIPLoader": "models/text_encoders",
            "VAELoader": "models/vae", "LoraLoader": "models/loras",
            "CLIPVisionLoader": "models/clip_vision"}.get(class_type, "models/")


def seed_of(value: Any) -> int:
    """The form's seed, or a fresh random one for blank / -1 (ComfyUI has no "random" value)."""
    try:
        seed = int(value)
    except (TypeError, ValueError):
        seed = -1
    return seed if 0 <= seed <= MAX_SEED else random.randint(0, MAX_SEED)


def output_files(outputs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(node id, file entry) of every file the finished prompt's nodes report in /history."""
    found = []
    for node_id, output in (outputs or {}).items():
        if not isinstance(output, dict):
            continue
        for key in FILE_OUTPUT_KEYS:
            for entry in output.get(key) or []:
                if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
                    found.append((str(node_id), {**entry, "_key": key}))
    return found


def is_video_entry(entry: dict[str, Any]) -> bool:
    name = entry["filename"].lower()
    fmt = str(entry.get("format") or "")
    return name.endswith(VIDEO_SUFFIXES) and (fmt.startswith("video/") or not name.endswith((".gif", ".webp"))
                                               or entry.get("_key") == "gifs")
