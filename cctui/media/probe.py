"""What is in a media file: duration and streams, read from `ffmpeg -i` (there is no ffprobe here).

`ffmpeg -i FILE` with no output prints the input description on stderr and exits with 1 even
when the file is fine, so success is "an `Input #0` block with at least one audio or video
stream", never the exit code.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cctui.media.errors import MediaError
from cctui.media.ffmpeg_exe import ffmpeg_exe

PROBE_TIMEOUT = 30.0

_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*:\s*(\w+):\s*([^\s,]+)(.*)$")
# The leading separator keeps codec tags such as "(avc1 / 0x31637661)" from reading as a size.
_SIZE = re.compile(r"[ ,]([1-9]\d{0,4})x([1-9]\d{0,4})(?=[ ,\[]|$)")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (fps|tbr)\b")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
_LOG_PREFIX = re.compile(r"^(\[[^\]]*@ 0x[0-9a-f]+\]\s*)+")


@dataclass
class StreamInfo:
    kind: str  # "video" | "audio" | "subtitle" | "data" | "cover" (a still picture attached to audio)
    codec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass
class MediaInfo:
    duration: float | None
    streams: list[StreamInfo] = field(default_factory=list)

    @property
    def video(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "video"]

    @property
    def audio(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "audio"]


def _rate(line: str) -> float | None:
    rates = {unit: float(num) * (1000 if k else 1) for num, k, unit in _FPS.findall(line)}
    return rates.get("fps") or rates.get("tbr")


def parse_probe(stderr: str) -> MediaInfo | None:
    """The input description in `ffmpeg -i` output, or None when ffmpeg could not open the file."""
    if "Input #0" not in stderr:
        return None
    duration: float | None = None
    streams: list[StreamInfo] = []
    for line in stderr.splitlines():
        if m := _DURATION.match(line):
            duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
        elif m := _STREAM.match(line):
            kind, codec, rest = m[1].lower(), m[2], m[3]
            if kind == "video" and "(attached pic)" in rest:
                kind = "cover"
            size = _SIZE.search(rest)
            streams.append(StreamInfo(kind=kind, codec=codec,
                                      width=int(size[1]) if size else None, height=int(size[2]) if size else None,
                                      fps=_rate(rest) if kind == "video" else None))
        elif (m := _ROTATION.search(line)) and streams and streams[-1].kind == "video":
            # ffmpeg rotates such frames upright when decoding, so the picture really is h x w.
            s = streams[-1]
            if round(abs(float(m[1]))) % 180 == 90 and s.width and s.height:
                s.width, s.height = s.height, s.width
    return MediaInfo(duration=duration if duration and duration > 0 else None, streams=streams)


def _last_line(stderr: str) -> str:
    lines = [_LOG_PREFIX.sub("", ln).strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("At least one output file")]
    return lines[-1] if lines else "no output from ffmpeg"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path}: is not a file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty, not a video or audio file")


def _command(path: Path) -> list[str]:
    # "file:" keeps names that look like protocols ("a:b.mp4") or options ("-x.mp4") literal.
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", f"file:{path}"]


def _result(path: Path, stderr: str) -> MediaInfo:
    info = parse_probe(stderr)
    if info is None or not (info.video or info.audio):
        raise MediaError(f"{path}: not a video or audio file ffmpeg can read ({_last_line(stderr)})")
    return info


def probe(path: str | Path) -> MediaInfo:
    """Duration and streams of a media file; MediaError naming the file when it is not one."""
    path = Path(path)
    _check_file(path)
    try:
        done = subprocess.run(_command(path), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(f"{path}: ffmpeg took more than {PROBE_TIMEOUT:g} s to read the file") from None
    except OSError as exc:
        raise MediaError(f"{path}: could not run ffmpeg to read it ({exc})") from None
    return _result(path, done.stderr.decode("utf-8", "replace"))


async def aprobe(path: str | Path) -> MediaInfo:
    """`probe` without blocking the event loop."""
    path = Path(path)
    _check_file(path)
    try:
        proc = await asyncio.create_subprocess_exec(*_command(path), stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise MediaError(f"{path}: could not run ffmpeg to read it ({exc})") from None
    try:
        _, err = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT)
    except asyncio.TimeoutError:
        raise MediaError(f"{path}: ffmpeg took more than {PROBE_TIMEOUT:g} s to read the file") from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return _result(path, err.decode("utf-8", "replace"))
