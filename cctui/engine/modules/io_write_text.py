"""`io.write_text`: keeps text as a file of the run (in the database, see `workflow_files`)."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import ModuleContract
from cctui.engine.modules.workflow_files import FileInputs, save
from cctui.workflow.module_shape import json_type


class WriteTextInputs(FileInputs):
    content: str


@register
class WriteText(Module):
    module_id = "io.write_text"
    contract = ModuleContract(inputs=WriteTextInputs, outputs=frozenset({"file_id", "file_path", "bytes_written"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        content = inputs.get("content")
        if not isinstance(content, str):
            raise ModuleError(f"{ctx.where}: input `content` must be text, not {json_type(content)}: render it to "
                              f"text (a template with | tojson), or keep an object with io.save_json",
                              retryable=False)
        file_id, filename = await save(ctx, inputs, "text", content)
        return {"file_id": file_id, "file_path": filename, "bytes_written": len(content.encode("utf-8"))}
