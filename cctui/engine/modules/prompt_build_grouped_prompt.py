"""`prompt.build_grouped_prompt`: shared instructions followed by the `prompt_instructions` of each
selected group (a system prompt for the providers a creator picked), joined by blank lines."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.engine.modules.selected_groups import selected_groups
from cctui.workflow.module_shape import json_type


class GroupedPromptInputs(Inputs):
    shared_instructions: str
    data: dict[str, Any] | list[Any] | None = None
    selected_indices: list[Any] | None = None
    selected_group_configs: list[Any] | None = None


@register
class BuildGroupedPrompt(Module):
    module_id = "prompt.build_grouped_prompt"
    contract = ModuleContract(inputs=GroupedPromptInputs, outputs=frozenset({"merged_prompt"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        shared = inputs.get("shared_instructions")
        if not isinstance(shared, str) or not shared.strip():
            raise ModuleError(f"{ctx.where}: input `shared_instructions` must be non-empty text, not "
                              f"{json_type(shared) if not isinstance(shared, str) else 'empty text'}: give the "
                              f"instructions every group shares", retryable=False)
        parts = [shared]
        for key, group in selected_groups(ctx, inputs):
            text = group.get("prompt_instructions") if isinstance(group, dict) else None
            if text is None or text == "":
                continue  # a group may have nothing to add to the shared text
            if not isinstance(text, str):
                raise ModuleError(f"{ctx.where}: group {key!r} has `prompt_instructions` that is "
                                  f"{json_type(text)}, not text", retryable=False)
            parts.append(text)
        return {"merged_prompt": "\n\n".join(parts)}
