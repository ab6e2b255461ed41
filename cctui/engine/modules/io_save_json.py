"""`io.save_json`: keeps a JSON value as a file of the run (in the database, see
`workflow_files`), for `io.load_json` to read later in the run; text that is JSON is parsed."""

from __future__ import annotations

import json
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import ModuleContract
from cctui.engine.modules.workflow_files import FileInputs, save


class SaveJsonInputs(FileInputs):
    data: Any


@register
class SaveJson(Module):
    module_id = "io.save_json"
    contract = ModuleContract(inputs=SaveJsonInputs, outputs=frozenset({"file_id", "file_path", "success"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        data = inputs.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ModuleError(f"{ctx.where}: input `data` is text but not JSON ({exc.msg} at line {exc.lineno}, "
                                  f"column {exc.colno}): give an object or list, or JSON text",
                                  retryable=True) from None
        file_id, filename = await save(ctx, inputs, "json", json.dumps(data, ensure_ascii=False))
        return {"file_id": file_id, "file_path": filename, "success": True}
