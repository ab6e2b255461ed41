"""A file from the creator's machine, checked and copied into the run: what `user.file_input` and a
media step's own-file tab ("Your photo") share.

The run keeps a copy, so moving or editing the original later changes nothing the run made. A
picture (by its extension) must be one Pillow reads, in a format the step takes; a camera photo
is turned upright as its EXIF orientation says when it is copied, so that everything after it
(the preview, the analysis, an upload to a provider) sees the same upright pixels. Every refusal
names the file, says what is wrong and what to do; nothing is written for a refused file.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from cctui.engine.errors import AnswerError

MAX_BYTES = 200 * 1024 * 1024  # a clip or a photo fits; a disk image pasted by mistake does not
MAX_PICTURE_BYTES = 50 * 1024 * 1024  # a phone photo is a few MB; 50 MB of picture is a scan or a RAW export
# Extension -> the format Pillow must find inside (a text file renamed .jpg is refused).
PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF",
                   ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
_ORIENTATION = 0x0112
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def given_path(given: str) -> Path:
    """A typed or pasted path: `~` expanded, quotes a file manager adds when copying dropped,
    a relative one read from the folder cctui was started in."""
    text = given.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else Path.cwd() / path


def check_extension(name: str, allowed: list[str], where: str) -> None:
    if allowed and Path(name).suffix.lower() not in allowed:
        raise AnswerError(f"{where}: {name} is not one of the files this step takes ({', '.join(allowed)}); "
                          f"choose one of those, or export it as one first")


def is_picture_name(name: str) -> bool:
    return Path(name).suffix.lower() in PICTURE_FORMATS


def copy_file_in(source: Path, uploads: Path, allowed: list[str], where: str) -> Path:
    """Check the file at `source` and copy it into `uploads`; returns the copy."""
    if not source.is_file():
        what = "is a folder" if source.is_dir() else "does not exist"
        raise AnswerError(f"{where}: {source} {what}; give the path of a file")
    check_extension(source.name, allowed, where)
    limit = MAX_PICTURE_BYTES if is_picture_name(source.name) else MAX_BYTES
    size = source.stat().st_size
    if size > limit:
        raise AnswerError(f"{where}: {source} is {size // (1024 * 1024)} MB; at most {limit // (1024 * 1024)} MB "
                          f"can be used{' for a picture (save a smaller copy first)' if limit < MAX_BYTES else ''}")
    if is_picture_name(source.name):
        with _opened_picture(source, source, where) as img:
            return _copy_picture(img, source, source.name, uploads, allowed, where)
    return _copy_plain(source, uploads, where)


def store_bytes_in(data: bytes, name: str, uploads: Path, allowed: list[str], where: str) -> Path:
    """The same for bytes given in the answer itself (a `data:` URL), named `name`."""
    check_extension(name, allowed, where)
    if not is_picture_name(name):
        target = free_name(uploads, name)
        _write_whole(target, data)
        return target
    with _opened_picture(io.BytesIO(data), Path(name), where) as img:
        target = free_name(uploads, Path(name).stem + _suffix(img, name, allowed, where))
        if _orientation(img) in (1, None):
            _write_whole(target, data)
            return target
        return _save_upright(img, target, name, where)


def content_item(copy: Path, name: str, provider: str | None = None) -> dict[str, Any]:
    """The copy described like a generation's item. The id is made from the bytes, so the same
    picture uploaded again is the same source (its generations still belong to it) and another
    picture is not (a jump back to the upload does not show videos made from the old one)."""
    digest = hashlib.sha256()
    with copy.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    mime = mimetypes.guess_type(copy.name)[0] or "application/octet-stream"
    return {"content_id": f"upload-{digest.hexdigest()[:16]}", "kind": file_kind(copy), "provider": provider,
            "local_path": str(copy), "url": None, "filename": name, "mime_type": mime,
            "size_bytes": copy.stat().st_size, "metadata": {}}


def file_kind(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or ""
    kind = mime.split("/")[0]
    return kind if kind in ("image", "video", "audio") else "file"


def free_name(folder: Path, name: str) -> Path:
    """A name in `folder` that takes nothing already there (two uploads of `cat.png` both stay)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(_SAFE.sub("_", name)).stem or "file", Path(name).suffix.lower()
    target, n = folder / f"{stem}{suffix}", 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def exif_orientation(path: Path) -> int:
    """The EXIF orientation of a picture (1: upright as stored; anything else is turned when it is
    copied in); 1 for a file that is not a picture."""
    try:
        with Image.open(path) as img:
            return _orientation(img) or 1
    except (OSError, ValueError, SyntaxError):
        return 1


# ---------------------------------------------------------------------------- pictures


@contextmanager
def _opened_picture(source: Any, shown: Path, where: str) -> Iterator[Image.Image]:
    """The picture decoded whole (a damaged file is refused here, not at the provider), or a
    clear AnswerError naming `shown`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(source)
            try:
                img.load()
            except BaseException:
                img.close()
                raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AnswerError(f"{where}: {shown} has too many pixels to use safely; save a copy of at most a few "
                          f"thousand pixels a side and choose that") from None
    except UnidentifiedImageError:
        raise AnswerError(f"{where}: {shown} is not a picture (its name ends in {shown.suffix or 'nothing'}, "
                          f"but its content is no image format cctui reads); choose a photo saved as "
                          f"JPEG, PNG or WebP") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise AnswerError(f"{where}: {shown} is a damaged picture ({exc}); open it in an image viewer and "
                          f"save it again, or choose another") from None
    try:
        yield img
    finally:
        img.close()


def _orientation(img: Image.Image) -> int | None:
    try:
        return img.getexif().get(_ORIENTATION, 1)
    except Exception:  # a broken EXIF block is no reason to refuse the picture
        return 1


def _suffix(img: Image.Image, name: str, allowed: list[str], where: str) -> str:
    """The extension the copy gets: its own, unless the content is another format (a PNG named
    .jpg), which must then be one the step takes."""
    own = Path(name).suffix.lower()
    if PICTURE_FORMATS.get(own) == img.format:
        return own
    kinds = [e for e, f in PICTURE_FORMATS.items() if f == img.format]
    usable = [k for k in kinds if not allowed or k in allowed]
    if not usable:
        raise AnswerError(f"{where}: {name} is a {img.format or 'picture of unknown format'} under another name; "
                          f"this step takes {', '.join(allowed)}: export it as one of those and choose that")
    return usable[0]


def _copy_picture(img: Image.Image, source: Path, name: str, uploads: Path, allowed: list[str],
                  where: str) -> Path:
    target = free_name(uploads, Path(name).stem + _suffix(img, name, allowed, where))
    if _orientation(img) in (1, None):
        return _copy_plain(source, uploads, where, target)
    return _save_upright(img, target, name, where)


def _save_upright(img: Image.Image, target: Path, name: str, where: str) -> Path:
    upright = ImageOps.exif_transpose(img)  # drops the orientation tag, keeps the rest of the EXIF
    options: dict[str, Any] = {}
    if upright.info.get("icc_profile"):
        options["icc_profile"] = upright.info["icc_profile"]
    exif = upright.getexif()
    if exif:
        options["exif"] = exif.tobytes()
    if img.format == "JPEG":
        options["quality"] = 95
    tmp = target.with_name(target.name + ".part")
    try:
        upright.save(tmp, format=img.format, **options)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AnswerError(f"{where}: the upright copy of {name} cannot be written ({exc.strerror or exc})") from None
    return target


def _copy_plain(source: Path, uploads: Path, where: str, target: Path | None = None) -> Path:
    target = target or free_name(uploads, source.name)
    tmp = target.with_name(target.name + ".part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AnswerError(f"{where}: {source} cannot be read ({exc.strerror or exc})") from None
    return target


def _write_whole(target: Path, data: bytes) -> None:
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
