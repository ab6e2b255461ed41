"""Helpers for the media tests: make small inputs with ffmpeg, look inside rendered videos."""

from __future__ import annotations

import io
import math
import os
import subprocess
from array import array
from pathlib import Path

from PIL import Image

from cctui.media import ffmpeg_exe

YELLOW = "0xf0d040"  # bright and flat: a dark plate over it is unmistakable


def ffmpeg(*args: str) -> bytes:
    """Run ffmpeg, return stdout; fail the test with ffmpeg's complaint if it fails."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def make_clip(path: Path, *, source: str, size: str, seconds: float, tone: float | None = None,
              extra_vf: str | None = None) -> Path:
    video = f"{source}{':' if '=' in source else '='}s={size}:r=30:d={seconds}" + (f",{extra_vf}" if extra_vf else "")
    args = ["-f", "lavfi", "-i", video]
    if tone:
        args += ["-f", "lavfi", "-i", f"sine=f={tone}:d={seconds}:sample_rate=44100", "-c:a", "aac", "-shortest"]
    ffmpeg(*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def frame_at(video: Path, t: float) -> Image.Image:
    """The RGB frame shown at t seconds, decoded by ffmpeg to PNG."""
    png = ffmpeg("-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-")
    return Image.open(io.BytesIO(png)).convert("RGB")


def frame_means(video: Path) -> list[float]:
    """Mean luma (Y, 16..235) of every frame, in order.

    Read straight from the Y plane: a conversion to gray would also rescale the range, and
    swscale does not do that the same way for every input size.
    """
    raw = ffmpeg("-i", str(video), "-vf", "scale=16:16,format=yuv420p", "-f", "rawvideo", "-")
    frame = 16 * 16 * 3 // 2
    return [sum(raw[i:i + 256]) / 256 for i in range(0, len(raw), frame)]


def pcm(video: Path, rate: int = 48000) -> array:
    """The audio as mono signed 16-bit samples."""
    samples = array("h")
    samples.frombytes(ffmpeg("-i", str(video), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"))
    return samples


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if len(samples) else 0.0


def tone_level(samples, freq: float, rate: int = 48000) -> float:
    """Amplitude of one frequency in the samples (Goertzel), comparable to rms()."""
    n = len(samples)
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return math.sqrt(max(power, 0.0) * 2) / n


def integrated_loudness(video: Path) -> float:
    """EBU R128 integrated loudness (LUFS) of the audio, measured by ffmpeg's ebur128 filter."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(video), "-map", "0:a:0",
                           "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120, check=True)
    summary = done.stderr.decode(errors="replace").rsplit("Integrated loudness:", 1)[1]
    return float(summary.split("I:", 1)[1].split("LUFS", 1)[0])


def dark_box(image: Image.Image, threshold: int = 150) -> tuple[tuple[int, int, int, int] | None, int]:
    """Bounding box (x0, y0, x1, y1) of pixels darker than threshold, and how many there are."""
    mask = image.convert("L").point(lambda v: 255 if v < threshold else 0)
    count = mask.histogram()[255]
    return mask.getbbox(), count


def ffmpeg_children() -> list[str]:
    """Command lines of this process's child processes that are ffmpeg (alive or not yet reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and "ffmpeg" in cmdline:
            found.append(cmdline)
    return found
