"""`io.client_write`: a file the client writes for the creator (a summary of the run), by default
into the run's folder; the creator may choose another folder or path.

The answer is the seed's confirmation, `{"file_written": true, "file_path": ...}` (the app writes
the file, then answers so; the module checks the file is there), or, with no `file_written`, a
place to write to: `{}` (the default folder) or `{"file_path": ...}`, and the module writes it.
Outputs, as the seed names them: `file_path`, `filename` (the name written), `success`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from cctui.engine.client_files import MODULE, default_folder, format_content, plain_filename, write_client_file
from cctui.engine.errors import AnswerError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract

PREVIEW_CHARS = 20_000  # the view shows the start of a long file; the whole of it is written


class ClientWriteInputs(Inputs):
    content: Any
    filename: str
    format: str | None = None  # json | text; unset: `.json` names are json
    destination: str = "root"  # root: the run's folder; ws: its ws subfolder


class ClientWriteAnswer(Answer):
    file_path: str = Field(None, description="a path: a folder to write the file into, or the file's own path")
    file_written: bool = Field(None, description="true when the client wrote the file at file_path")
    file_error: str = Field(None, description="a string: why the client could not write the file")


@register
class ClientWrite(Module):
    module_id = MODULE
    contract = ModuleContract(inputs=ClientWriteInputs, outputs=frozenset({"file_path", "filename", "success"}),
                              view="client_write", answer=ClientWriteAnswer, working="Preparing the file")

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        filename = plain_filename(inputs.get("filename"), ctx.where)
        folder = default_folder(ctx.run_dir, inputs.get("destination"), ctx.where)
        text, kind = format_content(inputs.get("content"), filename, inputs.get("format"))
        preview = text if len(text) <= PREVIEW_CHARS else \
            text[:PREVIEW_CHARS] + f"\n… ({len(text) - PREVIEW_CHARS:,} more characters are written)"
        return {"title": f"Write {filename}", "filename": filename, "format": kind, "chars": len(text),
                "lines": text.count("\n") + (0 if text.endswith("\n") or not text else 1),
                "preview": preview, "folder": str(folder), "file_path": str(folder / filename)}

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        filename = plain_filename(inputs.get("filename"), ctx.where)
        if answer.get("file_written") is False:
            raise AnswerError(f"{ctx.where}: the file {filename} was not written"
                              f" ({answer.get('file_error') or 'no reason given'}); choose another place")
        if answer.get("file_written"):
            given = answer.get("file_path")
            if not given:
                raise AnswerError(f"{ctx.where}: the answer says the file was written but gives no file_path")
            path = Path(given)
            if not path.is_absolute() or not path.is_file():
                raise AnswerError(f"{ctx.where}: the file {given} is not there (the answer says it was written): "
                                  f"write it again, or answer with a place for cctui to write it")
        else:
            path = write_client_file(inputs, answer.get("file_path"), ctx.run_dir, ctx.where)
            if not path.is_file():
                raise AnswerError(f"{ctx.where}: {path} was written but is not there now; choose another place")
        return {"file_path": str(path), "filename": path.name, "success": True}
