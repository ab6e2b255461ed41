"""`user.select`: the creator picks one item (or several) from a list shown by a display schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cctui.engine.answer_text import cut, one_line
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
    # The seed system's grouped review ("review") is asked as a plain select here; `validate`
    # says so (seed_keys.py).
    mode: Literal["select", "review"] = "select"
    min_selections: int = 1
    max_selections: int | None = None  # None: as many as there are items
    prompt: str = shown("Choose one")


class SelectAnswer(Answer):
    selected_indices: int | list[int | str | list[int | str]] = Field(None, description=INDEX)
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
        path, items = _items(ctx, inputs)
        raw = _positions(ctx, answer.get("selected_indices", answer.get("select")), list(path),
                         bool(inputs.get("multi_select")))
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
            "selected_indices": _as_paths(raw, list(path), bool(inputs.get("multi_select"))),
            "selected_data": chosen if inputs.get("multi_select") else chosen[0],
        }

    def answer_text(self, display: dict[str, Any], outputs: dict[str, Any]) -> str:
        chosen = outputs.get("selected_data")
        chosen = chosen if isinstance(chosen, list) else [chosen]
        schema = _item_schema(display.get("schema"), display.get("items_path") or [])
        return cut("; ".join(one_line(item, schema) for item in chosen)) or super().answer_text(display, outputs)


def _item_schema(schema: Any, path: list) -> dict[str, Any]:
    """The display schema of the items chosen from (the fields it shows name an item best)."""
    for name in path:
        props = schema.get("properties") if isinstance(schema, dict) else None
        schema = props.get(name) if isinstance(props, dict) else None
    items = schema.get("items") if isinstance(schema, dict) else None
    return items if isinstance(items, dict) else {}


def _as_paths(positions: list[int], path: list, multi: bool) -> list:
    """The indices as the seed system stores them: positions when `data` is the list itself;
    otherwise each item's path in `data` (["scenes", 1]), unwrapped for a single select, so a
    template can index `state.x[ind[0]][ind[1]]`."""
    if not path:
        return positions
    paths = [path + [i] for i in positions]
    return paths if multi else paths[0]


def _positions(ctx: ModuleContext, raw: Any, path: list, multi: bool) -> Any:
    """An answer given as item paths (the seed system's form) read back as positions in the list."""
    if not isinstance(raw, list) or not raw or not path:
        return raw
    if not multi and isinstance(raw[0], str):
        raw = [raw]  # a single select's path arrives unwrapped
    if not all(isinstance(p, list) for p in raw):
        return raw
    out = []
    for p in raw:
        if p[:-1] != path or not p or not isinstance(p[-1], int) or isinstance(p[-1], bool):
            raise AnswerError(f"{ctx.where}: {p} is not an item here: items are chosen as "
                              f"{path + [0]}, {path + [1]} ... or by number")
        out.append(p[-1])
    return out
