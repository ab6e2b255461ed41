"""The groups a creator picked, as `transform.build_dynamic_schema` and
`prompt.build_grouped_prompt` both read them: the keys (or positions) in `selected_indices`
looked up in `data`, or the group objects themselves in `selected_group_configs` (the seed's
older shape)."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import ModuleContext
from cctui.workflow.module_shape import json_type


def selected_groups(ctx: ModuleContext, inputs: dict[str, Any],
                    known: dict[str, Any] | None = None) -> list[tuple[Any, Any]]:
    """(key, group) for each selected group, in the order picked. `known` holds groups given by
    key elsewhere (`schema_paths`): a key found there has no group object (None)."""
    data, selected = inputs.get("data"), inputs.get("selected_indices")
    configs = inputs.get("selected_group_configs")
    if selected is not None and not isinstance(selected, list):
        raise ModuleError(f"{ctx.where}: input `selected_indices` must be a list of group keys, not "
                          f"{json_type(selected)}", retryable=False)
    if selected:
        if not data and not known:
            raise ModuleError(f"{ctx.where}: `selected_indices` names groups but there is no `data` to find "
                              f"them in: give `data` (the groups by key)", retryable=False)
        return [_find(ctx, _key(ctx, i, raw), data, known or {}) for i, raw in enumerate(selected)]
    if configs:
        configs = configs if isinstance(configs, list) else [configs]
        for i, group in enumerate(configs):
            if not isinstance(group, dict):
                raise ModuleError(f"{ctx.where}: item {i} of `selected_group_configs` is {json_type(group)}, "
                                  f"not an object (a group's config)", retryable=False)
        return [(group.get("label", f"group {i}"), group) for i, group in enumerate(configs)]
    return []


def _key(ctx: ModuleContext, i: int, raw: Any) -> Any:
    # A multi-select answer's paths are lists; a group at the data's top level is a one-item path.
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ModuleError(f"{ctx.where}: item {i} of `selected_indices` is {json_type(raw)}; each item must be "
                          f"a group's key (text) or position (integer)", retryable=False)
    return raw


def _find(ctx: ModuleContext, key: Any, data: Any, known: dict[str, Any]) -> tuple[Any, Any]:
    if key in known:
        return key, None
    if isinstance(data, dict) and key in data:
        return key, data[key]
    if isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
        return key, data[key]
    have = (", ".join(map(str, list(data)[:20])) if isinstance(data, dict)
            else f"positions 0 to {len(data) - 1}" if isinstance(data, list) and data else "nothing")
    raise ModuleError(f"{ctx.where}: selected group {key!r} is not in `data` (it has {have}): select one of "
                      f"those, or add the group to `data`", retryable=False)
