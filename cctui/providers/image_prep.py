"""Preparing a local source image for an image-to-video service, in memory.

The source file is only ever read: a crop or a resize produces new bytes that are uploaded and
then forgotten. Camera photos are turned upright first (EXIF orientation), since the services
read pixels, not EXIF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from cctui.records import SourceImage

from .base import ProviderError

# Pillow format -> (extension the services accept, mime)
_KEEP = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
ASPECT_TOLERANCE = 0.01  # within 1 % of the target ratio counts as matching


@dataclass
class PreparedImage:
    data: bytes
    extension: str  # png | jpg | webp
    mime: str
    width: int
    height: int
    cropped: bool = False
    resized: bool = False
    aspect: str | None = None  # the name of the ratio it was cropped to, when one was chosen


def require_source_file(source: SourceImage | None, provider: str) -> Path:
    """The local file of a job's source image, or a clear refusal before anything is sent."""
    local = source.local_path if source else None
    if not local:
        raise ProviderError("There is no source image for the video.", "bad_request", provider=provider)
    if not Path(local).is_file():
        raise ProviderError(f"The source image {local} does not exist.", "bad_request", provider=provider)
    return Path(local)


def open_source(path: str | Path, provider: str) -> tuple[bytes, Image.Image]:
    """Read and decode a local image, or raise ProviderError(bad_request) naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderError(f"The source image {path} cannot be read: {exc.strerror or exc}.",
                            "bad_request", provider=provider) from None
    if not data:
        raise ProviderError(f"The source image {path} is empty (0 bytes).", "bad_request", provider=provider)
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses to decode so many pixels (a "decompression bomb"); say so in plain words.
        raise ProviderError(f"The source image {path} is too large to prepare ({exc}). Use a picture of at most "
                            f"a few thousand pixels a side.", "bad_request", provider=provider) from None
    except UnidentifiedImageError:
        # Pillow's own message names an in-memory buffer, not the file.
        raise ProviderError(f"The source image {path} is not a picture Pillow can read (not a known image "
                            f"format, or damaged at the start).", "bad_request", provider=provider) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ProviderError(f"The source image {path} is not a picture Pillow can read ({exc}).",
                            "bad_request", provider=provider) from None
    return data, img


def _encode(img: Image.Image, prefer_png: bool = False) -> tuple[bytes, str, str]:
    out = io.BytesIO()
    if prefer_png or "A" in img.getbands() or img.mode in ("P", "LA", "PA"):
        img = img.convert("RGBA" if "A" in img.getbands() or img.mode in ("P", "PA") else "RGB")
        img.save(out, "PNG", optimize=False)
        return out.getvalue(), "png", "image/png"
    img.convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue(), "jpg", "image/jpeg"


def nearer_aspect(width: int, height: int, choices: dict[str, float]) -> str:
    """The name of the ratio in `choices` nearest to width/height (compared as ratios)."""
    ratio = width / height
    return min(choices, key=lambda name: max(ratio, choices[name]) / min(ratio, choices[name]))


def crop_to_aspect(path: str | Path, choices: dict[str, float], provider: str,
                   prefer: str | None = None) -> PreparedImage:
    """The image at `path`, centre-cropped to the ratio (width/height) in `choices` nearest to
    its own, or to `prefer` when that names one; the original bytes when it is already within
    ASPECT_TOLERANCE and upright."""
    data, img = open_source(path, provider)
    upright = ImageOps.exif_transpose(img)
    turned = _has_rotation(img)
    width, height = upright.size
    aspect = prefer if prefer in choices else nearer_aspect(width, height, choices)
    ratio = choices[aspect]
    current = width / height
    cropped = False
    if abs(current / ratio - 1) > ASPECT_TOLERANCE:
        if current > ratio:  # too wide: trim the sides
            new_w = max(1, round(height * ratio))
            left = (width - new_w) // 2
            upright = upright.crop((left, 0, left + new_w, height))
        else:  # too tall: trim top and bottom
            new_h = max(1, round(width / ratio))
            top = (height - new_h) // 2
            upright = upright.crop((0, top, width, top + new_h))
        cropped = True
    if not cropped and not turned and img.format in _KEEP:
        ext, mime = _KEEP[img.format]
        return PreparedImage(data, ext, mime, width, height, aspect=aspect)
    encoded, ext, mime = _encode(upright)
    return PreparedImage(encoded, ext, mime, upright.width, upright.height, cropped=cropped,
                         aspect=aspect)


def fit_exact(path: str | Path, size: tuple[int, int], provider: str) -> PreparedImage:
    """The image at `path` scaled to cover `size` and centre-cropped to exactly it, as PNG."""
    _, img = open_source(path, provider)
    upright = ImageOps.exif_transpose(img)
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    resized = upright.size != size
    fitted = ImageOps.fit(upright, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    out = io.BytesIO()
    # zlib level 3: within a few per cent of the default's size in about two thirds of its time.
    fitted.convert("RGB").save(out, "PNG", compress_level=3)
    return PreparedImage(out.getvalue(), "png", "image/png", size[0], size[1],
                         cropped=resized, resized=resized)


def _has_rotation(img: Image.Image) -> bool:
    try:
        return img.getexif().get(0x0112, 1) not in (1, None)
    except Exception:  # a broken EXIF block is no reason to refuse the picture
        return False
