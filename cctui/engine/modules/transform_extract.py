"""`transform.extract`: hands back its inputs as outputs, so a step file can name values (often
resolved from the state) and write them to state keys; inputs starting with `_` stay behind."""

from __future__ import annotations

from typing import Any

from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import ModuleContract, NoInputs


@register
class TransformExtract(Module):
    module_id = "transform.extract"
    # Any input is taken: the step file's own input names are the outputs (see `echoes_inputs`).
    contract = ModuleContract(inputs=NoInputs, outputs=frozenset(), echoes_inputs=True)

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in inputs.items() if not key.startswith("_")}
