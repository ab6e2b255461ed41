"""What a child run (the seed format's `target_sub_action`) hands back to the run that started
it: values read from the child's state by dotted path and written into the parent's.

A dotted target is written into a copy of the parent's top-level value, so its other keys stay
(the seed system replaces the whole top-level key; keeping the rest loses nothing a creator
made)."""

from __future__ import annotations

import copy
from typing import Any

from cctui.workflow.models import ResultMapping

_MISSING = object()


def read_path(state: dict[str, Any], dotted: str) -> Any:
    value: Any = state
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def mapped_values(parent: dict[str, Any], child: dict[str, Any],
                  mappings: list[ResultMapping]) -> tuple[dict[str, Any], list[str]]:
    """The new top-level values for the parent's state, and the sources the child did not make."""
    updates: dict[str, Any] = {}
    missing: list[str] = []
    for mapping in mappings:
        value = read_path(child, mapping.source)
        if value is _MISSING:
            missing.append(mapping.source)
            continue
        top, *rest = mapping.target.split(".")
        current = updates[top] if top in updates else copy.deepcopy(parent.get(top))
        if mapping.mode == "merge":
            before = read_path({top: current}, mapping.target) if current is not None else _MISSING
            if isinstance(before, list) and isinstance(value, list):
                value = before + value
        updates[top] = _with(current, rest, copy.deepcopy(value))
    return updates, missing


def _with(container: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    node = container if isinstance(container, dict) else {}
    node[path[0]] = _with(node.get(path[0]), path[1:], value)
    return node
