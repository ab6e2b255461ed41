"""The render: cctui's `media.assemble` work (the final MP4 and its cover) against the same ffmpeg
commands run by hand.

cctui's side is `assemble` plus `extract_frame`, as the summary step calls them: it probes the
inputs, draws the overlay plates, runs ffmpeg with progress read from a pipe, checks the result.
The baseline replays the very commands cctui built (captured as it ran them: the ping-pong unit,
the main filtergraph, the cover), each a plain `ffmpeg` with nothing read while it runs, one after
the other; the two alternate, n times each. Then each encoding on the render form is rendered
once more, for what it costs in time and size.

The clip is what an image-to-video job returns: 5 s at 720x1280, 24 fps, of a textured picture
panning (grain, so its size is a photo's, not a flat drawing's); 15 s of music; three overlay
lines; the CC defaults (ping-pong, 9:16, 1080x1920).
"""

from __future__ import annotations

import asyncio
import importlib
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.photo import photo_like
from bench.rows import row
from bench.stats import median
from bench.worker import scratch, serve
from cctui.media import ENCODINGS, AssemblySpec, assemble, extract_frame, ffmpeg_exe, overlay_cues
from cctui.standin.media_factory import make_music, make_video, scene_image

TARGET = 1.1
LINES = ["Snow day inspection", "Every flake checked", "Verdict: more snow"]
# `cctui.media.assemble` the module, not the function the package exports under that name.
ASSEMBLE_MODULE = importlib.import_module("cctui.media.assemble")
COVER_MODULE = importlib.import_module("cctui.media.cover")


def make_inputs(tmp: Path, seconds: float, clip_seconds: float) -> tuple[Path, Path]:
    picture = photo_like(scene_image("a corgi sniffing fresh snow in a garden", (720, 1280), 0))
    clip, music = tmp / "clip.mp4", tmp / "music.mp3"
    make_video(picture, clip, (720, 1280), clip_seconds, fps=24)
    make_music(music, "gentle piano, playful", int(seconds * 1000))
    return clip, music


class Recorder:
    """Wraps the media layer's `run_ffmpeg` to keep each command it is given (and the overlay
    plates they read, which the render deletes with its work folder)."""

    def __init__(self, keep: Path):
        self.keep, self.commands = keep, []
        self.originals = {m: m.run_ffmpeg for m in (ASSEMBLE_MODULE, COVER_MODULE)}

    def __enter__(self) -> Recorder:
        for module, original in self.originals.items():
            module.run_ffmpeg = self._wrap(original)
        return self

    def __exit__(self, *exc: Any) -> None:
        for module, original in self.originals.items():
            module.run_ffmpeg = original

    def _wrap(self, original: Any) -> Any:
        async def recording(args: list[str], **kwargs: Any) -> list[str]:
            for arg in args:
                path = Path(arg.removeprefix("file:"))
                if arg.startswith("file:") and path.suffix == ".png" and path.is_file():
                    shutil.copy2(path, self.keep / path.name)
            self.commands.append(list(args))
            return await original(args, **kwargs)
        return recording


def by_hand(commands: list[list[str]], render_dir: Path, out: Path, spec_out: Path, keep: Path,
            work: Path) -> list[list[str]]:
    """The recorded commands as someone would run them: into `work`, the plates from `keep`, the
    video straight to its name (cctui writes a hidden part file and renames it)."""
    part = re.compile(re.escape(f"{spec_out.parent}/.{spec_out.name}.") + r"[0-9a-f]+\.part")
    cmds = []
    for args in commands:
        fixed = []
        for arg in args:
            arg = part.sub(str(out), arg).replace(str(spec_out), str(out))
            if arg.startswith("file:") and arg.endswith(".png") and str(render_dir) in arg:
                arg = "file:" + str(keep / Path(arg[5:]).name)
            fixed.append(arg.replace(str(render_dir), str(work)))
        cmds.append([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "warning", *fixed])
    return cmds


async def cctui_render(spec: AssemblySpec) -> float:
    cues = spec.cues
    started = time.perf_counter()
    result = await assemble(spec)
    at = (cues[0].start + cues[0].end) / 2 if cues else min(1.0, spec.duration / 2)
    await extract_frame(result.output, at, spec.output.parent / "cover.jpg")
    return time.perf_counter() - started


def hand_render(cmds: list[list[str]], work: Path) -> float:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    for cmd in cmds:
        Path(next(a for a in reversed(cmd) if "/" in a)).parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(cmd, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"the replayed ffmpeg failed: {done.stderr.decode(errors='replace')[-1500:]}")
    return time.perf_counter() - started


def spec_for(tmp: Path, clip: Path, music: Path, seconds: float, name: str) -> AssemblySpec:
    render_dir = tmp / f"render-{name}"
    render_dir.mkdir(parents=True, exist_ok=True)
    return AssemblySpec(clip=clip, output=render_dir / "final.mp4", duration=seconds, loop_mode="pingpong",
                        cues=overlay_cues(LINES, seconds), music=music, encoding=name)


async def _measure(config: dict[str, Any]) -> dict[str, Any]:
    n, seconds = int(config.get("n", 5)), float(config.get("seconds", 15.0))
    tmp = scratch("render")
    clip, music = make_inputs(tmp, seconds, float(config.get("clip_seconds", 5.0)))
    spec = spec_for(tmp, clip, music, seconds, "standard")
    keep = tmp / "plates"
    keep.mkdir()
    with Recorder(keep) as recorder:
        warm = await cctui_render(spec)  # first run: page cache, the font, the encoder's tables
    cmds = by_hand(recorder.commands, spec.output.parent, tmp / "hand" / "final.mp4", spec.output, keep,
                   tmp / "hand")
    hand_render(cmds, tmp / "hand")
    ours, theirs = [], []
    for _ in range(n):
        ours.append(await cctui_render(spec))
        theirs.append(hand_render(cmds, tmp / "hand"))
    sizes = {"standard": spec.output.stat().st_size}
    times = {"standard": median(ours)}
    for name in ENCODINGS:
        if name == "standard":
            continue
        other = spec_for(tmp, clip, music, seconds, name)
        times[name] = await cctui_render(other)
        sizes[name] = other.output.stat().st_size
    ms, mb = 1000.0, 1e6
    rows = [row("render_ms", f"render: {seconds:g} s at 1080x1920, ping-pong, music, {len(LINES)} lines, cover",
                median(ours) * ms, "ms", n=n, baseline=median(theirs) * ms,
                baseline_label="the same ffmpeg commands run by hand", target=TARGET, target_on="ratio",
                target_text=f"<= {TARGET}x by hand")]
    for name, enc in ENCODINGS.items():
        rows.append(row(f"render_{name}_ms", f"  encoding {name} (x264 {enc.preset}, CRF {enc.crf}): time",
                        times[name] * ms, "ms", n=n if name == "standard" else 1, baseline=times["standard"] * ms,
                        baseline_label="standard"))
        rows.append(row(f"render_{name}_mb", f"  encoding {name}: file size", sizes[name] / mb, "MB", n=1,
                        baseline=sizes["standard"] / mb, baseline_label="standard"))
    return {"figure": "render", "rows": rows, "details": {
        "cctui_ms_each": [round(x * ms, 1) for x in ours], "by_hand_ms_each": [round(x * ms, 1) for x in theirs],
        "first_run_ms": round(warm * ms, 1), "commands": len(cmds),
        "encodings": {name: {"preset": e.preset, "crf": e.crf, "seconds": round(times[name], 2),
                             "bytes": sizes[name]} for name, e in ENCODINGS.items()}}}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(config))


if __name__ == "__main__":
    serve(measure)
