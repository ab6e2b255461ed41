"""Real media files for the stand-in: scene images (Pillow), MP4 clips and MP3 music (ffmpeg).

Nothing here is a placeholder byte string: every image opens in Pillow, every MP4 is H.264
(yuv420p, faststart) made by the ffmpeg binary that `imageio_ffmpeg.get_ffmpeg_exe()` provides,
and the music is an MP3 (libmp3lame) of the requested length. Results are deterministic for the
same inputs and cached on disk by `ensure_file`, so repeated downloads are cheap.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Callable

from PIL import Image, ImageDraw, ImageFont

_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}

PALETTES = [  # sky top, sky bottom, floor, accent, pet
    ((255, 196, 140), (255, 236, 200), (196, 140, 98), (255, 240, 170), (90, 70, 60)),
    ((150, 200, 255), (225, 240, 255), (150, 190, 120), (255, 250, 210), (70, 60, 55)),
    ((120, 100, 160), (240, 190, 200), (150, 110, 130), (255, 230, 240), (60, 50, 70)),
    ((170, 225, 200), (240, 250, 230), (120, 170, 120), (255, 245, 200), (110, 80, 60)),
    ((40, 50, 100), (120, 110, 170), (70, 60, 90), (245, 240, 200), (30, 30, 40)),
    ((255, 170, 170), (255, 230, 210), (210, 150, 130), (255, 250, 235), (120, 90, 80)),
]


def seed_of(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


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


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow without a scalable default font
        return ImageFont.load_default()


def _pet_kind(prompt: str) -> str:
    text = prompt.lower()
    has_dog = any(w in text for w in ("dog", "puppy", "pup ", "corgi", "retriever", "beagle"))
    has_cat = any(w in text for w in ("cat", "kitten", "kitty", "tabby"))
    return "dog" if has_dog and not has_cat else "cat"


def _draw_pet(draw: ImageDraw.ImageDraw, cx: float, ground: float, unit: float, kind: str,
              color: tuple[int, int, int]) -> None:
    body_w, body_h = 3.2 * unit, 1.8 * unit
    draw.ellipse((cx - body_w / 2, ground - body_h, cx + body_w / 2, ground), fill=color)
    head_r = 0.95 * unit
    hx, hy = cx + body_w * 0.38, ground - body_h - head_r * 0.55
    draw.ellipse((hx - head_r, hy - head_r, hx + head_r, hy + head_r), fill=color)
    if kind == "cat":
        for side in (-1, 1):
            ex = hx + side * head_r * 0.55
            draw.polygon([(ex - 0.35 * unit, hy - head_r * 0.55), (ex + 0.35 * unit, hy - head_r * 0.55),
                          (ex + side * 0.1 * unit, hy - head_r * 1.55)], fill=color)
        draw.arc((cx - body_w * 0.95, ground - body_h * 1.6, cx - body_w * 0.25, ground - body_h * 0.2),
                 90, 250, fill=color, width=max(3, int(unit * 0.28)))
    else:
        for side in (-1, 1):
            ex = hx + side * head_r * 0.8
            draw.ellipse((ex - 0.32 * unit, hy - head_r * 0.5, ex + 0.32 * unit, hy + head_r * 0.7), fill=color)
        draw.line((cx - body_w / 2, ground - body_h * 0.7, cx - body_w * 0.8, ground - body_h * 1.2),
                  fill=color, width=max(3, int(unit * 0.3)))
    eye = (250, 245, 230)
    for side in (-1, 1):
        draw.ellipse((hx + side * head_r * 0.38 - unit * 0.09, hy - unit * 0.12,
                      hx + side * head_r * 0.38 + unit * 0.09, hy + unit * 0.06), fill=eye)


def scene_image(prompt: str, size: tuple[int, int], index: int = 0) -> Image.Image:
    """A pleasant little scene: gradient sky, sun, window, floor, a cat or dog, caption."""
    width, height = size
    rng = random.Random(seed_of("scene", prompt, index, width, height))
    top, bottom, floor, accent, pet = PALETTES[(seed_of(prompt) + index) % len(PALETTES)]
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        f = y / 255
        column.putpixel((0, y), tuple(round(top[i] * (1 - f) + bottom[i] * f) for i in range(3)))
    img = column.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(img)
    unit = min(width, height) / 12
    ground = height * rng.uniform(0.70, 0.78)
    # window with the sun behind it
    wx0, wy0 = width * rng.uniform(0.08, 0.45), height * 0.1
    wx1, wy1 = wx0 + width * 0.42, wy0 + height * 0.38
    draw.rectangle((wx0, wy0, wx1, wy1), fill=tuple(min(255, c + 25) for c in bottom))
    sr = unit * rng.uniform(1.0, 1.6)
    sx, sy = rng.uniform(wx0 + sr, wx1 - sr), rng.uniform(wy0 + sr, wy1 - sr)
    draw.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=accent)
    frame = tuple(max(0, c - 70) for c in floor)
    lw = max(2, int(unit * 0.18))
    draw.rectangle((wx0, wy0, wx1, wy1), outline=frame, width=lw)
    draw.line(((wx0 + wx1) / 2, wy0, (wx0 + wx1) / 2, wy1), fill=frame, width=lw)
    draw.line((wx0, (wy0 + wy1) / 2, wx1, (wy0 + wy1) / 2), fill=frame, width=lw)
    # sunbeam
    draw.polygon([(wx0, wy1), (wx1, wy1), (wx1 + width * 0.15, ground), (wx0 + width * 0.05, ground)],
                 fill=tuple(min(255, round(c * 0.55 + a * 0.45)) for c, a in zip(bottom, accent)))
    draw.rectangle((0, ground, width, height), fill=floor)
    # cushion and pet
    px = width * rng.uniform(0.35, 0.65)
    draw.ellipse((px - 3 * unit, ground - 0.6 * unit, px + 3 * unit, ground + 0.8 * unit),
                 fill=tuple(min(255, c + 40) for c in accent[:3]))
    _draw_pet(draw, px, ground + 0.1 * unit, unit, _pet_kind(prompt), pet)
    # a few floating dust motes
    for _ in range(12):
        mx, my, mr = rng.uniform(0, width), rng.uniform(0, ground), rng.uniform(1, unit * 0.08 + 1)
        draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=accent)
    # caption: the first words of the prompt
    words = " ".join(prompt.split()[:7]) or "stand-in"
    font = _font(max(12, int(min(width, height) / 22)))
    box = draw.textbbox((0, 0), words, font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    pad = th * 0.6
    band_y = height - th - 3 * pad
    draw.rounded_rectangle((pad, band_y, min(width - pad, tw + 3 * pad), band_y + th + 2 * pad),
                           radius=int(pad), fill=(255, 255, 255))
    draw.text((2 * pad, band_y + pad - box[1]), words, fill=(60, 50, 50), font=font)
    return img


def encode_image(img: Image.Image, fmt: str = "png") -> bytes:
    fmt = fmt.lower()
    buf = io.BytesIO()
    if fmt in ("jpg", "jpeg"):
        img.convert("RGB").save(buf, "JPEG", quality=88)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=80)
    else:
        img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


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
