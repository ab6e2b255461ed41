"""Real media files for the stand-in: scene images (Pillow), MP4 clips and MP3 music (ffmpeg).

Nothing here is a placeholder byte string: every image opens in Pillow, every MP4 is H.264
(yuv420p, faststart) made by the ffmpeg binary that `imageio_ffmpeg.get_ffmpeg_exe()` provides,
and the music is an MP3 (libmp3lame) of the requested length. Results are deterministic for the
same inputs and cached on disk by `ensure_file`, so repeated downloads are cheap.
"""

from __future__ import annotations

import base64
import io
import os
import random
import re
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Callable

from PIL import Image

from .scene_drawing import described_prompt, description_exif, scene_image, seed_of

__all__ = ["cover_fit", "encode_image", "ensure_file", "image_info", "image_prompt", "load_image", "make_music",
           "make_video", "scene_image", "small_size", "spritesheet", "thumbnail"]

_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}

def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# --------------------------------------------------------------------------- images


def image_info(data: bytes) -> tuple[str, tuple[int, int]] | None:
    """(format, (width, height)) if `data` is a real, complete image; else None."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return (img.format or "").lower(), img.size
    except Exception:  # noqa: BLE001 - anything Pillow cannot read is "not an image"
        return None


def cover_fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale `img` to cover `size` and crop the centre (keeps the picture undistorted)."""
    img = img.convert("RGB")
    width, height = size
    scale = max(width / img.width, height / img.height)
    resized = img.resize((max(width, round(img.width * scale)), max(height, round(img.height * scale))),
                         Image.Resampling.BILINEAR)
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


def encode_image(img: Image.Image, fmt: str = "png") -> bytes:
    """The picture as bytes; a stand-in scene keeps its prompt in EXIF, as a model "sees" it later."""
    fmt = fmt.lower()
    buf = io.BytesIO()
    extra = {"exif": exif} if (exif := description_exif(img)) else {}
    if fmt in ("jpg", "jpeg"):
        img.convert("RGB").save(buf, "JPEG", quality=88, **extra)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=80, **extra)
    else:
        img.save(buf, "PNG", compress_level=1, **extra)
    return buf.getvalue()


def image_prompt(url: str) -> str | None:
    """What a `data:` image URL shows, when it is a stand-in picture (its prompt); else None."""
    match = re.match(r"data:image/[\w.+-]+;base64,(.*)", url or "", re.DOTALL)
    if not match:
        return None
    try:
        with Image.open(io.BytesIO(base64.b64decode(match.group(1)))) as img:
            shown = described_prompt(img)
    except Exception:  # noqa: BLE001 - not a picture we can read: it shows nothing we know
        return None
    # A test marker steered the request that drew the picture, not the ones that look at it.
    return re.sub(r"STANDIN:\S+", "", shown).strip() if shown else None


def load_image(data_or_path: bytes | Path) -> Image.Image:
    if isinstance(data_or_path, Path):
        data_or_path = data_or_path.read_bytes()
    with Image.open(io.BytesIO(data_or_path)) as img:
        return img.convert("RGB")


def small_size(size: tuple[int, int], short_side: int) -> tuple[int, int]:
    """Scale (w, h) down so the short side is `short_side`, keeping the aspect; even numbers."""
    width, height = size
    scale = min(1.0, short_side / min(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def thumbnail(source: Image.Image, size: tuple[int, int], fmt: str) -> bytes:
    return encode_image(cover_fit(source, size), fmt)


def spritesheet(source: Image.Image, size: tuple[int, int], columns: int = 4, rows: int = 2) -> bytes:
    """A JPEG grid of frames panning slowly across the source, like the video does."""
    fw, fh = small_size(size, 120)
    big = cover_fit(source, (int(fw * 1.1), int(fh * 1.1)))
    sheet = Image.new("RGB", (fw * columns, fh * rows))
    count = columns * rows
    for i in range(count):
        dx = round((big.width - fw) * i / max(1, count - 1))
        sheet.paste(big.crop((dx, 0, dx + fw, fh)), ((i % columns) * fw, (i // columns) * fh))
    return encode_image(sheet, "jpeg")


# --------------------------------------------------------------------------- files


def ensure_file(path: Path, build: Callable[[Path], None]) -> Path:
    """Return `path`, building it first (once, even with concurrent callers) if missing."""
    if path.exists():
        return path
    with _locks_guard:
        lock = _locks.setdefault(str(path), threading.Lock())
    with lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{path.suffix}")
            try:
                build(tmp)
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
    return path


def _run_ffmpeg(args: list[str]) -> None:
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {done.stderr.decode(errors='replace')[-800:]}")


def make_video(source: Image.Image, out: Path, size: tuple[int, int], seconds: float, fps: int = 12) -> None:
    """A real H.264 MP4 of `size`: a gentle pan across the source with a soft brightness pulse."""
    width, height = size
    big_w, big_h = int(width * 1.08) // 2 * 2 + 2, int(height * 1.08) // 2 * 2 + 2
    frame = cover_fit(source, (big_w, big_h))
    with tempfile.TemporaryDirectory(prefix="standin-ffmpeg-") as tmp:
        still = Path(tmp) / "still.png"
        frame.save(still, "PNG", compress_level=1)
        period = max(seconds, 0.5)
        vf = (f"crop={width}:{height}"
              f":x='(iw-ow)/2*(1+0.6*sin(2*PI*t/{period:g}))'"
              f":y='(ih-oh)/2*(1-0.3*cos(2*PI*t/{period:g}))',"
              f"eq=brightness='0.035*sin(2*PI*t/{period:g})':eval=frame,format=yuv420p")
        _run_ffmpeg(["-loop", "1", "-framerate", str(fps), "-i", str(still), "-t", f"{seconds:g}",
                     "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                     "-r", str(fps), "-movflags", "+faststart", "-f", "mp4", str(out)])


NOTE_FREQS = {"C": 261.63, "D": 293.66, "E": 329.63, "F": 349.23, "G": 392.00, "A": 440.00, "B": 493.88}


def make_music(out: Path, prompt: str, length_ms: int) -> None:
    """An MP3 of `length_ms`: a soft plucked major arpeggio over a quiet pad, fades at both ends."""
    rng = random.Random(seed_of("music", prompt))
    root = NOTE_FREQS[rng.choice(list(NOTE_FREQS))] / 2
    bpm = rng.choice([72, 80, 88, 96, 104])
    beat = 60 / bpm
    seconds = length_ms / 1000
    semis = "if(eq(mod(floor(t/{b}),4),0),0,if(eq(mod(floor(t/{b}),4),1),4,if(eq(mod(floor(t/{b}),4),2),7,12)))"
    semis = semis.format(b=f"{beat:.5f}")
    expr = (f"0.22*sin(2*PI*{root:.3f}*pow(2,{semis}/12)*t)*exp(-5*mod(t,{beat:.5f}))"
            f"+0.05*sin(2*PI*{root / 2:.3f}*t)+0.04*sin(2*PI*{root * 0.75:.3f}*t)")
    fade_out = min(1.0, seconds / 4)
    _run_ffmpeg(["-f", "lavfi", "-i", f"aevalsrc='{expr}':s=44100:d={seconds:g}",
                 "-af", f"afade=t=in:d={min(0.5, seconds / 4):g},afade=t=out:st={seconds - fade_out:g}:d={fade_out:g}",
                 "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", str(out)])
