"""`io.load_json`: reads back a JSON file the run kept (`io.save_json`, or JSON text from
`io.write_text`): the newest version its branch still sees (see `workflow_files`)."""

from __future__ import annotations

import json
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import ModuleContract
from cctui.engine.modules.workflow_files import FileInputs, place, seen


class LoadJsonInputs(FileInputs):
    default: Any = None
    required: bool = True


@register
class LoadJson(Module):
    module_id = "io.load_json"
    contract = ModuleContract(inputs=LoadJsonInputs, outputs=frozenset({"data", "file_exists", "file_id"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        version = await seen(ctx, inputs)
        if version is None:
            if inputs.get("required", True) is not False:
                category, group, filename = place(ctx, inputs)
                folder = "root" if category == "root" else group or "outputs"
                raise ModuleError(f"{ctx.where}: no file {filename!r} in {folder} has been saved in this run (or "
                                  f"going back discarded it): save it with io.save_json or io.write_text before "
                                  f"this module, or set `required` to false and give a `default`", retryable=True)
            return {"data": inputs.get("default"), "file_exists": False, "file_id": None}
        try:
            data = json.loads(version["content"])
        except json.JSONDecodeError as exc:
            raise ModuleError(f"{ctx.where}: file {version['filename']!r} holds text that is not JSON ({exc.msg} at "
                              f"line {exc.lineno}): load only files saved as JSON", retryable=False) from None
        return {"data": data, "file_exists": True, "file_id": version["file_id"]}
