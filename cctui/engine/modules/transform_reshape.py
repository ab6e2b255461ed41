"""`transform.reshape`: data of one shape made into another by a template object (a form's rows
into the list a later step reads, for instance).

`template` is either `{"_for_each": "$item", "_output": {...}}`, applied to each item of
`source` (its position is `$index`), or an object applied once with `source` (and `$source`).
Every string in it holding `{{ }}` is rendered, keys included, in cctui's sandbox: `$name` is
read as `_name`, a string that is one expression keeps its value's type (a list stays a list),
and a missing key renders as nothing rather than failing, as the seed system reads its data.
`context_vars` add variables; `state`, `step` and `config` are there as everywhere.
"""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract, dollar_template
from cctui.workflow.module_shape import json_type
from cctui.workflow.templates import dollar_names, is_template, render_string

SPECIAL = ("_for_each", "_output")


class ReshapeInputs(Inputs):
    source: Any
    template: dict[str, Any] = dollar_template()
    context_vars: dict[str, Any] = {}


@register
class Reshape(Module):
    module_id = "transform.reshape"
    contract = ModuleContract(inputs=ReshapeInputs, outputs=frozenset({"result"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        template, extra = inputs.get("template"), inputs.get("context_vars") or {}
        if not isinstance(template, dict):
            raise ModuleError(f"{ctx.where}: input `template` must be an object (with `_for_each` and `_output` "
                              f"to reshape each item of a list), not {json_type(template)}", retryable=False)
        if not isinstance(extra, dict):
            raise ModuleError(f"{ctx.where}: input `context_vars` must be an object of variables, not "
                              f"{json_type(extra)}", retryable=False)
        base = {**ctx.template_context(), **_variables(extra)}
        source = inputs.get("source")
        if "_for_each" not in template:
            context = {**base, **_variables({"$source": source}), "source": source}
            return {"result": _apply(template, context, f"{ctx.where}, template")}
        name = template["_for_each"]
        if not isinstance(name, str) or not dollar_names(name).isidentifier():
            raise ModuleError(f"{ctx.where}: `template._for_each` must name the item variable, like \"$item\", not "
                              f"{name!r}", retryable=False)
        if "_output" not in template:
            raise ModuleError(f"{ctx.where}: `template` has `_for_each` but no `_output`: add the shape each item "
                              f"becomes", retryable=False)
        if source is None:
            raise ModuleError(f"{ctx.where}: input `source` is null, so there is nothing to reshape: check the "
                              f"state key it reads is written before this module", retryable=True)
        items = source if isinstance(source, list) else [source]  # one object is a list of one, as in the seed
        return {"result": [_apply(template["_output"], {**base, **_variables({name: item, "$index": i})},
                                  f"{ctx.where}, template._output (item {i})")
                           for i, item in enumerate(items)]}


def _variables(values: dict[str, Any]) -> dict[str, Any]:
    return {dollar_names(k) if isinstance(k, str) else k: v for k, v in values.items()}


def _apply(node: Any, context: dict[str, Any], where: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in SPECIAL:
                continue
            if is_template(key):
                key = str(render_string(dollar_names(key), context, f"{where} key {key!r}", lenient=True))
            out[key] = _apply(value, context, f"{where}.{key}")
        return out
    if isinstance(node, list):
        return [_apply(v, context, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str) and is_template(node):
        return render_string(dollar_names(node), context, where, lenient=True)
    return node
