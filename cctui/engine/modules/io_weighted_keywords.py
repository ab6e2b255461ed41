"""`io.weighted_keywords`: a keyword memory kept across runs of a workflow, so that what was
used before can be weighed (the seed's CC workflow keeps its scenes from repeating themselves).

`save` upserts keywords (lowercased, trimmed) with a weight that adds up, or replaces, and the
other fields given; `load` runs an aggregation pipeline over the workflow's keywords. Only read
stages run: a pipeline cannot reach other workflows' keywords or write anything.
"""

from __future__ import annotations

from typing import Any, Literal

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.engine.pipeline import check_stages, run_pipeline

SCOPE = "workflow_template_id"  # the seed's name for the field that keeps workflows apart
ALLOWED = frozenset({"$match", "$sort", "$project", "$limit", "$skip", "$group", "$unwind", "$addFields", "$set",
                     "$count", "$replaceRoot", "$sample", "$bucket", "$bucketAuto", "$sortByCount", "$facet"})


class KeywordInputs(Inputs):
    mode: Literal["load", "save"]
    pipeline: list[dict[str, Any]] = []
    weighted_keywords: list[dict[str, Any]] | None = None
    accumulate_weight: bool = True


@register
class WeightedKeywords(Module):
    module_id = "io.weighted_keywords"
    # Every output is in every result; those of the other mode are null.
    contract = ModuleContract(inputs=KeywordInputs, outputs=frozenset({"weighted_keywords", "count", "saved_count"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        store, workflow_id = ctx.services.store, ctx.workflow.workflow_id
        if inputs.get("mode") == "save":
            items = _items(ctx, inputs.get("weighted_keywords"))
            saved = await store.save_keywords(workflow_id, items, accumulate=inputs.get("accumulate_weight", True))
            return {"weighted_keywords": None, "count": None, "saved_count": saved}
        pipeline = inputs.get("pipeline") or []
        check_stages(ctx, pipeline)
        _check_read_only(ctx, pipeline)
        documents = [{**doc, SCOPE: workflow_id} for doc in await store.keywords(workflow_id)]
        found = run_pipeline(ctx, documents, [{"$match": {SCOPE: workflow_id}}, *pipeline])
        for doc in found:
            doc.pop(SCOPE, None)
        return {"weighted_keywords": found, "count": len(found), "saved_count": None}


def _check_read_only(ctx: ModuleContext, pipeline: list[dict], where: str = "pipeline") -> None:
    for i, stage in enumerate(pipeline):
        name, body = next(iter(stage.items()))
        if name not in ALLOWED:
            raise ModuleError(f"{ctx.where}: stage {i} of `{where}` ({name}) is not allowed here; a keyword "
                              f"pipeline may use {', '.join(sorted(ALLOWED))}", retryable=False)
        if name == "$match" and SCOPE in str(body):
            raise ModuleError(f"{ctx.where}: stage {i} of `{where}` filters on {SCOPE}; each workflow sees its "
                              f"own keywords only, so leave it out", retryable=False)
        if name == "$facet" and isinstance(body, dict):
            for facet, inner in body.items():
                check_stages(ctx, inner)
                _check_read_only(ctx, inner, f"{where}.$facet.{facet}")


def _items(ctx: ModuleContext, given: Any) -> list[tuple[str, float, dict[str, Any]]]:
    if not isinstance(given, list):
        raise ModuleError(f"{ctx.where}: input `weighted_keywords` must be a list of objects with a "
                          f"`keyword` (and a `weight`) to save", retryable=False)
    items: dict[str, tuple[str, float, dict[str, Any]]] = {}
    for i, doc in enumerate(given):
        keyword = doc.get("keyword") if isinstance(doc, dict) else None
        if not isinstance(keyword, str) or not keyword.strip():
            raise ModuleError(f"{ctx.where}: item {i} of `weighted_keywords` has no `keyword` text", retryable=False)
        weight = doc.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ModuleError(f"{ctx.where}: item {i} of `weighted_keywords` ({keyword!r}) has a weight that is "
                              f"not a number", retryable=False)
        fields = {k: v for k, v in doc.items() if k not in ("keyword", "weight", "_id", SCOPE, "last_used")}
        key = keyword.strip().lower()
        if key in items:  # the same keyword twice in one save: its weights add up
            weight += items[key][1]
        items[key] = (key, float(weight), fields)
    return list(items.values())
