"""What a ComfyUI output node leaves behind when a prompt finishes: real files, and its UI output.

`SaveVideo` and `VHS_VideoCombine` write an H.264 MP4 of the uploaded `LoadImage` picture (or a
drawn scene for the prompt text), sized from the latent node's width / height scaled down to the
stand-in's `video_short_side` and about `length / fps` seconds long (at most `clip_seconds`);
`SaveImage` writes one PNG per batch item, `SaveAnimatedWEBP` an animated WebP, `PreviewImage` a
PNG in the temp folder. File names follow ComfyUI's counters (`ComfyUI_00001_.png`, VHS's
`AnimateDiff_00001.mp4`), and the UI outputs are the dicts `/history` and `executed` carry.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from .comfyui_graph import Graph, first_upstream, is_link, positive_texts
from .media_factory import cover_fit, encode_image, load_image, make_video, scene_image, small_size

if TYPE_CHECKING:
    from .comfyui_hosts import ComfyHost

VIDEO_NODES = ("SaveVideo", "VHS_VideoCombine", "SaveAnimatedWEBP")
DEFAULT_FRAMES, DEFAULT_FPS = 49, 16.0
MAX_WEBP_FRAMES = 24


class OutputRefused(Exception):
    """The node refused to save (a prefix outside the output folder): an execution error."""


def literal(node: dict[str, Any] | None, name: str, default: Any) -> Any:
    value = (node or {}).get("inputs", {}).get(name, default)
    return default if is_link(value) else value


def _split_prefix(folder: Path, prefix: str) -> tuple[Path, str, str]:
    """(full folder, subfolder, file base) as `folder_paths.get_save_image_path` splits a prefix."""
    subfolder, base = os.path.split(os.path.normpath(prefix or "ComfyUI"))
    full = (folder / subfolder).resolve()
    if os.path.commonpath((str(folder.resolve()), str(full))) != str(folder.resolve()):
        raise OutputRefused("Saving image outside the output folder is not allowed.")
    full.mkdir(parents=True, exist_ok=True)
    return full, subfolder.replace(os.sep, "/"), base


def _next_counter(full: Path, base: str, trailing: str) -> int:
    pattern = re.compile(re.escape(base) + r"_(\d+)" + re.escape(trailing) + r"\.")
    taken = [int(m.group(1)) for p in full.iterdir() if (m := pattern.match(p.name))]
    return max(taken, default=0) + 1


class OutputWriter:
    """Writes the files of one finished prompt on one host."""

    def __init__(self, host: "ComfyHost", prompt: Graph):
        self.host = host
        self.prompt = prompt
        self.text = " ".join(positive_texts(prompt)) or "a pet"

    def _shape(self, node_id: str) -> tuple[tuple[int, int], int]:
        """((width, height), frames) from the nearest upstream node that sets a size."""
        latent = first_upstream(self.prompt, node_id, lambda n: "width" in n.get("inputs", {}))
        width, height = int(literal(latent, "width", 832)), int(literal(latent, "height", 480))
        frames = literal(latent, "length", None) or literal(latent, "batch_size", DEFAULT_FRAMES)
        return (max(2, width), max(2, height)), max(1, int(frames))

    def _source(self, node_id: str, size: tuple[int, int], index: int = 0) -> Image.Image:
        loader = first_upstream(self.prompt, node_id, lambda n: n.get("class_type") == "LoadImage")
        name = literal(loader, "image", None)
        if name and (self.host.input_dir / name).is_file():
            return load_image(self.host.input_dir / name)
        return scene_image(self.text, size, index)

    def _seconds(self, frames: int, fps: float) -> float:
        seconds = frames / fps if fps > 0 else DEFAULT_FRAMES / DEFAULT_FPS
        cap = self.host.srv.clip_seconds
        return max(0.25, min(seconds, cap) if cap > 0 else seconds)

    def write(self, node_id: str) -> dict[str, Any]:
        node = self.prompt[node_id]
        kind = node["class_type"]
        if kind in ("SaveVideo", "VHS_VideoCombine"):
            return self._video(node_id, node, kind)
        if kind == "SaveAnimatedWEBP":
            return self._webp(node_id, node)
        return self._images(node_id, node, temp=kind == "PreviewImage")

    def _video(self, node_id: str, node: dict[str, Any], kind: str) -> dict[str, Any]:
        size, frames = self._shape(node_id)
        if kind == "SaveVideo":
            creator = first_upstream(self.prompt, node_id, lambda n: n.get("class_type") == "CreateVideo")
            fps = float(literal(creator, "fps", DEFAULT_FPS))
        else:
            fps = float(literal(node, "frame_rate", 8.0))
        small = small_size(size, self.host.srv.video_short_side)
        vhs = kind == "VHS_VideoCombine"
        save_output = not vhs or bool(literal(node, "save_output", True))
        folder = self.host.output_dir if save_output else self.host.temp_dir
        default_prefix = "AnimateDiff" if vhs else "video/ComfyUI"
        full, subfolder, base = _split_prefix(folder, str(literal(node, "filename_prefix", default_prefix)))
        trailing = "" if vhs else "_"
        name = f"{base}_{_next_counter(full, base, trailing):05}{trailing}.mp4"
        make_video(self._source(node_id, size), full / name, small, self._seconds(frames, fps),
                   fps=max(1, min(30, round(fps))))
        entry = {"filename": name, "subfolder": subfolder, "type": "output" if save_output else "temp"}
        if vhs:
            entry.update({"format": str(literal(node, "format", "video/h264-mp4")), "frame_rate": fps,
                          "fullpath": str(full / name)})
            return {"gifs": [entry]}
        return {"images": [entry], "animated": [True]}

    def _webp(self, node_id: str, node: dict[str, Any]) -> dict[str, Any]:
        size, frames = self._shape(node_id)
        fps = float(literal(node, "fps", 6.0))
        small = small_size(size, self.host.srv.video_short_side)
        count = max(1, min(MAX_WEBP_FRAMES, round(self._seconds(frames, fps) * fps)))
        big = cover_fit(self._source(node_id, size), (int(small[0] * 1.1), small[1]))
        pictures = [big.crop((dx, 0, dx + small[0], small[1]))
                    for dx in (round((big.width - small[0]) * i / max(1, count - 1)) for i in range(count))]
        full, subfolder, base = _split_prefix(self.host.output_dir, str(literal(node, "filename_prefix", "ComfyUI")))
        name = f"{base}_{_next_counter(full, base, '_'):05}_.webp"
        pictures[0].save(full / name, "WEBP", save_all=True, append_images=pictures[1:],
                         duration=round(1000 / fps) if fps > 0 else 100, lossless=False, quality=70)
        return {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}], "animated": [True]}

    def _images(self, node_id: str, node: dict[str, Any], temp: bool) -> dict[str, Any]:
        latent = first_upstream(self.prompt, node_id, lambda n: n.get("class_type") == "EmptyLatentImage")
        size, _ = self._shape(node_id)
        small = small_size(size, self.host.srv.video_short_side)
        count = max(1, min(16, int(literal(latent, "batch_size", 1))))
        folder = self.host.temp_dir if temp else self.host.output_dir
        prefix = "ComfyUI_temp_" + self.host.temp_suffix if temp else str(literal(node, "filename_prefix", "ComfyUI"))
        full, subfolder, base = _split_prefix(folder, prefix)
        counter = _next_counter(full, base, "_")
        images = []
        for index in range(count):
            name = f"{base}_{counter + index:05}_.png"
            (full / name).write_bytes(encode_image(cover_fit(self._source(node_id, small, index), small), "png"))
            images.append({"filename": name, "subfolder": subfolder, "type": "temp" if temp else "output"})
        return {"images": images}
