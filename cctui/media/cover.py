"""A still frame from a video, for the post's cover (thumbnail)."""

from __future__ import annotations

import os
from pathlib import Path

from cctui.media.errors import MediaError
from cctui.media.files import part_path
from cctui.media.ffmpeg_run import FfmpegFailed, run_ffmpeg
from cctui.media.probe import aprobe

_CODECS = {".jpg": ["-c:v", "mjpeg", "-q:v", "2"], ".jpeg": ["-c:v", "mjpeg", "-q:v", "2"],
           ".png": ["-c:v", "png"]}
COVER_TIMEOUT = 60.0


async def extract_frame(video: Path, at: float, out: Path) -> Path:
    """Write the frame shown at `at` seconds (clamped into the video) to out, a .jpg or .png."""
    video, out = Path(video), Path(out)
    codec = _CODECS.get(out.suffix.lower())
    if codec is None:
        raise MediaError(f"{out}: a cover must be a .jpg or .png file")
    info = await aprobe(video)
    if not info.video:
        raise MediaError(f"{video}: has no video to take a cover frame from")
    fps = info.video[0].fps or 30.0
    if info.duration:
        # Seeking to the very end finds no frame; stay a couple of frames inside.
        at = min(at, max(0.0, info.duration - 2 / fps))
    at = max(0.0, at)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(out)
    try:
        try:
            await run_ffmpeg(["-ss", f"{at:.3f}", "-i", f"file:{video}", "-frames:v", "1", "-an",
                              "-vf", "scale=out_range=pc" if codec[1] == "mjpeg" else "null", *codec,
                              "-update", "1", "-f", "image2", str(part)], stall_timeout=COVER_TIMEOUT)
        except FfmpegFailed as exc:
            raise MediaError(f"Could not take a cover frame at {at:.2f} s from {video}: {exc.details()}") from None
        if part.stat().st_size == 0:
            raise MediaError(f"Could not take a cover frame at {at:.2f} s from {video}: ffmpeg found no frame there")
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return out
