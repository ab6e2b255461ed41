"""`transform.query`: a MongoDB aggregation pipeline over a list of objects, run by mongomock on
an in-memory collection made for the one call (the seed system's own engine for it)."""

from __future__ import annotations

from typing import Any

from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.engine.pipeline import run_pipeline


class QueryInputs(Inputs):
    data: list[dict[str, Any]]
    pipeline: list[dict[str, Any]]


@register
class TransformQuery(Module):
    module_id = "transform.query"
    contract = ModuleContract(inputs=QueryInputs, outputs=frozenset({"result"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"result": run_pipeline(ctx, inputs.get("data"), inputs.get("pipeline"))}
