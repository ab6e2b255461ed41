"""`transform.build_dynamic_schema`: one JSON Schema for an LLM's answer made of the selected
groups' parts: each group's schema holds `properties.<root_property>.{properties, required}`,
and these are merged into `wrapper_schema` (or a strict object wrapper when none is given)."""

from __future__ import annotations

import copy
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.engine.modules.selected_groups import selected_groups
from cctui.workflow.module_shape import json_type


class DynamicSchemaInputs(Inputs):
    data: dict[str, Any] | list[Any] | None = None
    selected_indices: list[Any] | None = None
    selected_group_configs: list[Any] | None = None
    schema_key: str = "schema"
    root_property: str = "prompts"
    schema_paths: dict[str, Any] | None = None
    wrapper_schema: dict[str, Any] | None = None


@register
class BuildDynamicSchema(Module):
    module_id = "transform.build_dynamic_schema"
    contract = ModuleContract(inputs=DynamicSchemaInputs, outputs=frozenset({"merged_schema"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        schema_key = inputs.get("schema_key") or "schema"
        root = inputs.get("root_property") or "prompts"
        paths = inputs.get("schema_paths") or {}
        if not isinstance(paths, dict):
            raise ModuleError(f"{ctx.where}: input `schema_paths` must be an object of schemas by group key, "
                              f"not {json_type(paths)}", retryable=False)
        properties: dict[str, Any] = {}
        required: list[Any] = []
        for key, group in selected_groups(ctx, inputs, known=paths):
            if key in paths:
                schema, named = paths[key], f"`schema_paths.{key}`"
            elif isinstance(group, dict) and schema_key in group:
                schema, named = group[schema_key], f"group {key!r}'s `{schema_key}`"
            else:
                continue  # a group without a schema adds no fields
            if not isinstance(schema, dict):
                raise ModuleError(f"{ctx.where}: {named} is {json_type(schema)}, not a schema object: point it "
                                  f'at the schema file with {{"$ref": "...", "type": "json"}}', retryable=False)
            part = (schema.get("properties") or {}).get(root)
            if not isinstance(part, dict):
                raise ModuleError(f"{ctx.where}: {named} has no object at `properties.{root}`: a group's schema "
                                  f"holds its fields there (or set `root_property` to the key it uses)",
                                  retryable=False)
            properties.update(part.get("properties") or {})
            required.extend(r for r in part.get("required") or [] if r not in required)
        return {"merged_schema": _wrapped(ctx, inputs.get("wrapper_schema"), root, properties, required)}


def _wrapped(ctx: ModuleContext, wrapper: Any, root: str, properties: dict, required: list) -> dict[str, Any]:
    if not wrapper:
        return {"type": "object",
                "properties": {root: {"type": "object", "properties": properties, "required": required,
                                      "additionalProperties": False}},
                "required": [root], "additionalProperties": False}
    if not isinstance(wrapper, dict):
        raise ModuleError(f"{ctx.where}: input `wrapper_schema` must be a schema object, not {json_type(wrapper)}",
                          retryable=False)
    merged = copy.deepcopy(wrapper)
    slot = (merged.get("properties") or {}).get(root)
    if not isinstance(slot, dict):
        raise ModuleError(f"{ctx.where}: `wrapper_schema` has no object at `properties.{root}` to put the "
                          f"selected groups' fields in: add it, or set `root_property` to the key it uses",
                          retryable=False)
    slot["properties"], slot["required"] = properties, required
    return merged
