"""`user.file_input`: a file from the creator's machine (a path, or a `data:` URL), checked and
copied into the run, so that moving or editing the original later changes nothing the run made.

Outputs, as the seed format names them: `value` (the copy's path) and `filename` (the name the
creator gave); and cctui's own `file`, the copy as a content item (`local_path`, `kind`, a
`content_id` from its bytes...), the shape a generated image has, so that a step that starts from
an image (`media.generate`'s `source_image`, a result) takes an uploaded one the same way. A
relative path is read from the folder cctui was started in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import re
import shutil
from pathlib import Path
from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract

MAX_BYTES = 200 * 1024 * 1024  # a clip or a photo fits; a disk image pasted by mistake does not
_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<b64>;base64)?,(?P<body>.*)", re.DOTALL)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileInputs(Inputs):
    prompt: str = Field(json_schema_extra={"display_only": True})
    # Allowed extensions ("png", ".jpg"); empty: any file.
    extensions: list[str] = []
    # The seed system's retry by keyword; cctui offers retry through the options (validate says so).
    retry_trigger_keyword: str = "r"
    retry_options: list[dict[str, Any]] = []


class FileAnswer(Answer):
    value: str = Field("", description="a file path or a data: URL")


def _allowed(inputs: dict[str, Any]) -> list[str]:
    return [("." + str(e).lstrip(".")).lower() for e in inputs.get("extensions") or []]


@register
class UserFileInput(Module):
    module_id = "user.file_input"
    contract = ModuleContract(inputs=FileInputs, outputs=frozenset({"value", "filename", "file"}), view="file_input",
                              answer=FileAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"prompt": inputs.get("prompt") or "A file", "extensions": _allowed(inputs)}

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        given = str(answer.get("value") or "").strip()
        if not given:
            raise AnswerError(f"{ctx.where}: give the path of a file (or a data: URL)")
        uploads = ctx.run_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        if given.startswith("data:"):
            name, data = _from_data_url(given, ctx.where)
            _check_extension(name, inputs, ctx.where)
            target = _free_name(uploads, name)
            target.write_bytes(data)
            return _outputs(target, name)
        source = Path(os.path.expanduser(given))
        if not source.is_absolute():
            source = Path.cwd() / source
        if not source.is_file():
            what = "is a folder" if source.is_dir() else "does not exist"
            raise AnswerError(f"{ctx.where}: {source} {what}; give the path of a file")
        _check_extension(source.name, inputs, ctx.where)
        size = source.stat().st_size
        if size > MAX_BYTES:
            raise AnswerError(f"{ctx.where}: {source} is {size // (1024 * 1024)} MB; at most "
                              f"{MAX_BYTES // (1024 * 1024)} MB can be used")
        target = _free_name(uploads, source.name)
        tmp = target.with_name(target.name + ".part")
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise AnswerError(f"{ctx.where}: {source} cannot be read ({exc.strerror or exc})") from None
        return _outputs(target, source.name)


def _outputs(copy: Path, name: str) -> dict[str, Any]:
    return {"value": str(copy), "filename": name, "file": content_item(copy, name)}


def content_item(copy: Path, name: str) -> dict[str, Any]:
    """The copy described like a generation's item. The id is made from the bytes, so the same
    picture uploaded again is the same source (its generations still belong to it) and another
    picture is not (a jump back to the upload does not show videos made from the old one)."""
    digest = hashlib.sha256()
    with copy.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    mime = mimetypes.guess_type(copy.name)[0] or "application/octet-stream"
    kind = mime.split("/")[0] if mime.split("/")[0] in ("image", "video", "audio") else "file"
    return {"content_id": f"upload-{digest.hexdigest()[:16]}", "kind": kind, "provider": None,
            "local_path": str(copy), "url": None, "filename": name, "mime_type": mime,
            "size_bytes": copy.stat().st_size, "metadata": {}}


def _check_extension(name: str, inputs: dict[str, Any], where: str) -> None:
    allowed = _allowed(inputs)
    if allowed and Path(name).suffix.lower() not in allowed:
        raise AnswerError(f"{where}: {name} is not one of the files this step takes ({', '.join(allowed)})")


def _from_data_url(url: str, where: str) -> tuple[str, bytes]:
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise AnswerError(f"{where}: that data: URL is malformed (data:<type>;base64,<data>)")
    if len(match.group("body")) > MAX_BYTES * 4 // 3 + 4:
        raise AnswerError(f"{where}: that data: URL holds more than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        data = base64.b64decode(match.group("body"), validate=True) if match.group("b64") \
            else match.group("body").encode("utf-8")
    except (binascii.Error, ValueError):
        raise AnswerError(f"{where}: that data: URL's base64 is broken") from None
    mime = match.group("mime") or "application/octet-stream"
    return "upload" + (mimetypes.guess_extension(mime) or ".bin"), data


def _free_name(folder: Path, name: str) -> Path:
    """A name in `folder` that takes nothing already there (two uploads of `cat.png` both stay)."""
    stem, suffix = Path(_SAFE.sub("_", name)).stem or "file", Path(name).suffix.lower()
    target, n = folder / f"{stem}{suffix}", 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target
