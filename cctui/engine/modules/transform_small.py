"""The seed format's small transforms, each a few lines: `transform.concat_arrays`,
`transform.conditional_text` and `transform.render_template_array`."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.module_shape import json_type
from cctui.workflow.templates import render_string


class ConcatInputs(Inputs):
    arrays: list[Any]


@register
class ConcatArrays(Module):
    module_id = "transform.concat_arrays"
    contract = ModuleContract(inputs=ConcatInputs, outputs=frozenset({"result"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        arrays = inputs.get("arrays")
        if not isinstance(arrays, list):
            raise ModuleError(f"{ctx.where}: input `arrays` must be a list of lists, not {json_type(arrays)}",
                              retryable=False)
        result: list[Any] = []
        for i, part in enumerate(arrays):
            if not isinstance(part, list):
                raise ModuleError(f"{ctx.where}: item {i} of `arrays` is {json_type(part)}, not a list; every "
                                  f"item is joined as a list", retryable=False)
            result.extend(part)
        return {"result": result}


class ConditionalInputs(Inputs):
    condition_value: Any = None
    text_if_not_empty: str
    text_if_empty: str = ""


@register
class ConditionalText(Module):
    module_id = "transform.conditional_text"
    contract = ModuleContract(inputs=ConditionalInputs, outputs=frozenset({"result"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        value = inputs.get("condition_value")
        if value is None or (isinstance(value, str) and not value.strip()):
            return {"result": inputs.get("text_if_empty", "")}
        # The seed's placeholder for the value, written literally in the text.
        return {"result": str(inputs["text_if_not_empty"]).replace("$state.condition_value", str(value))}


class TemplateArrayInputs(Inputs):
    items: list[Any]
    # Rendered here, once per item (so it is never listed for the engine to resolve).
    template: str
    item_variable: str = "item"
    index_variable: str = "index"
    separator: str = "\n\n"
    extra_context: dict[str, Any] = {}


@register
class RenderTemplateArray(Module):
    module_id = "transform.render_template_array"
    contract = ModuleContract(inputs=TemplateArrayInputs, outputs=frozenset({"rendered", "sections", "count"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        items, template = inputs.get("items"), inputs.get("template")
        if not isinstance(items, list):
            raise ModuleError(f"{ctx.where}: input `items` must be a list, not {json_type(items)}", retryable=False)
        if not isinstance(template, str):
            raise ModuleError(f"{ctx.where}: input `template` must be text", retryable=False)
        base = ctx.template_context()
        extra = inputs.get("extra_context") or {}
        sections = []
        for i, item in enumerate(items):
            # An object's own keys are there by name too, as in the seed system (not `_`-prefixed ones).
            own = {k: v for k, v in item.items() if not str(k).startswith("_")} if isinstance(item, dict) else {}
            loop = {"index": i + 1, "index0": i, "first": i == 0, "last": i == len(items) - 1, "length": len(items)}
            context = {**base, **own, **extra, "loop": loop, inputs.get("item_variable", "item"): item,
                       inputs.get("index_variable", "index"): i}
            sections.append(str(render_string(template, context, f"{ctx.where}, item {i}")))
        return {"rendered": inputs.get("separator", "\n\n").join(sections), "sections": sections,
                "count": len(sections)}
