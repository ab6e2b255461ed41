"""`io.write_file`: write text (and copies of chosen media) into the run's export folder."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    # Names come from workflow files; never let one climb out of the export folder.
    cleaned = _SAFE.sub("_", Path(str(name)).name).strip("._")
    return cleaned or "file"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class WriteFileInputs(Inputs):
    content: str = ""
    filename: str = "output.txt"
    # Paths, or {"path": ..., "name": ...} to name the copy.
    copy_files: list[str | dict[str, Any]] = []


@register
class WriteFile(Module):
    module_id = "io.write_file"
    contract = ModuleContract(inputs=WriteFileInputs, outputs=frozenset({"path", "files"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        export = ctx.run_dir / "export"
        export.mkdir(parents=True, exist_ok=True)
        content = inputs.get("content", "")
        if not isinstance(content, str):
            raise ModuleError(f"{ctx.where}: input `content` must be text", retryable=False)
        target = export / safe_name(inputs.get("filename", "output.txt"))
        _atomic_write(target, content)
        files = [str(target)]
        for item in inputs.get("copy_files") or []:
            src = Path(item.get("path", "")) if isinstance(item, dict) else Path(str(item))
            if not src.is_file():
                raise ModuleError(f"{ctx.where}: cannot copy {src}: the file does not exist")
            name = safe_name(item.get("name", src.stem) if isinstance(item, dict) else src.stem)
            dest = export / f"{name}{src.suffix.lower()}"
            tmp = dest.with_name(dest.name + ".part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
            files.append(str(dest))
        return {"path": str(target), "files": files}
