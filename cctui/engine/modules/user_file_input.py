"""`user.file_input`: a file from the creator's machine (a path, or a `data:` URL), checked and
copied into the run, so that moving or editing the original later changes nothing the run made.

Outputs, as the seed format names them: `value` (the copy's path) and `filename` (the name the
creator gave); and cctui's own `file`, the copy as a content item (`local_path`, `kind`, a
`content_id` from its bytes...), the shape a generated image has, so that a step that starts from
an image (`media.generate`'s `source_image`, a result) takes an uploaded one the same way. A
relative path is read from the folder cctui was started in. The checks and the copy (a photo turned
upright by its EXIF orientation) are `cctui.engine.local_files`, shared with a media step's own-file tab.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError
from cctui.engine.local_files import MAX_BYTES, content_item, copy_file_in, given_path, store_bytes_in
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract
from cctui.engine.ux import allowed_extensions

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<b64>;base64)?,(?P<body>.*)", re.DOTALL)


class FileInputs(Inputs):
    prompt: str = Field(json_schema_extra={"display_only": True})
    # Allowed extensions ("png", ".jpg"); empty: any file.
    extensions: list[str] = []
    # The seed system's retry by keyword; cctui offers retry through the options (validate says so).
    retry_trigger_keyword: str = "r"
    retry_options: list[dict[str, Any]] = []


class FileAnswer(Answer):
    value: str = Field("", description="a file path or a data: URL")


@register
class UserFileInput(Module):
    module_id = "user.file_input"
    contract = ModuleContract(inputs=FileInputs, outputs=frozenset({"value", "filename", "file"}), view="file_input",
                              answer=FileAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"prompt": inputs.get("prompt") or "A file", "extensions": allowed_extensions(inputs.get("extensions"))}

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        given = str(answer.get("value") or "").strip()
        if not given:
            raise AnswerError(f"{ctx.where}: give the path of a file (or a data: URL)")
        uploads = ctx.run_dir / "uploads"
        allowed = allowed_extensions(inputs.get("extensions"))
        if given.startswith("data:"):
            name, data = _from_data_url(given, ctx.where)
            return _outputs(store_bytes_in(data, name, uploads, allowed, ctx.where), name)
        source = given_path(given)
        return _outputs(copy_file_in(source, uploads, allowed, ctx.where), source.name)


def _outputs(copy, name: str) -> dict[str, Any]:
    return {"value": str(copy), "filename": name, "file": content_item(copy, name)}


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

