"""`user.select`: the creator picks one item (or several) from a list shown by a display schema."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError, ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import INDEX, Answer, Inputs, ModuleContract, shown
from cctui.engine.ux import find_selectable


def _items(ctx: ModuleContext, inputs: dict[str, Any]) -> tuple[tuple, list]:
    found = find_selectable(inputs.get("schema") or {}, inputs.get("data"))
    if found is None:
        raise ModuleError(f"{ctx.where}: nothing to choose from: `data` is not a list and the display "
                          f"schema marks no list of it as selectable", retryable=False)
    if not found[1]:
        raise ModuleError(f"{ctx.where}: the list to choose from is empty")
    return found


def _limits(inputs: dict[str, Any], count: int) -> tuple[int, int]:
    if not inputs.get("multi_select"):
        return 1, 1
    low = int(inputs.get("min_selections", 1))
    high = int(inputs.get("max_selections", count))
    return low, min(high, count)


class SelectInputs(Inputs):
    data: Any  # the items, or an object holding them where the display schema marks them selectable
    schema_: dict[str, Any] = Field({}, alias="schema")
    multi_select: bool = False
    min_selections: int = 1
    max_selections: int | None = None  # None: as many as there are items
    prompt: str = shown("Choose one")


class SelectAnswer(Answer):
    selected_indices: int | list[int] = Field(None, description=INDEX)
    select: int | list[int] = Field(None, description=INDEX)  # the answers file's word for it


@register
class UserSelect(Module):
    module_id = "user.select"
    contract = ModuleContract(inputs=SelectInputs, outputs=frozenset({"selected_indices", "selected_data"}),
                              view="select", answer=SelectAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        path, items = _items(ctx, inputs)
        low, high = _limits(inputs, len(items))
        return {
            "prompt": inputs.get("prompt", "Choose one"),
            "data": inputs.get("data"),
            "schema": inputs.get("schema") or {},
            "items_path": list(path),
            "count": len(items),
            "multi_select": bool(inputs.get("multi_select")),
            "min_selections": low,
            "max_selections": high,
        }

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        _, items = _items(ctx, inputs)
        raw = answer.get("selected_indices", answer.get("select"))
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
            raise AnswerError(f"{ctx.where}: the answer needs `selected_indices`, a list of item numbers")
        if len(set(raw)) != len(raw):
            raise AnswerError(f"{ctx.where}: an item is selected twice: {raw}")
        bad = [i for i in raw if not 0 <= i < len(items)]
        if bad:
            raise AnswerError(f"{ctx.where}: no item {bad[0]} (there are {len(items)}, numbered from 0)")
        low, high = _limits(inputs, len(items))
        if not low <= len(raw) <= high:
            want = "exactly one item" if high == 1 else f"{low} to {high} items"
            raise AnswerError(f"{ctx.where}: choose {want}, not {len(raw)}")
        chosen = [items[i] for i in raw]
        return {
            "selected_indices": raw,
            "selected_data": chosen if inputs.get("multi_select") else chosen[0],
        }
