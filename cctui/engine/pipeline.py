"""Running a MongoDB aggregation pipeline over a list of objects, with mongomock on an in-memory
collection made for the one call (the seed system's own engine for it). Shared by
`transform.query` and `io.weighted_keywords`; every failure is a `ModuleError` naming the stage."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import mongomock

from cctui.engine.errors import ModuleError
from cctui.workflow.module_shape import json_type

if TYPE_CHECKING:
    from cctui.engine.modules.base import ModuleContext

# What mongomock raises for a stage or an expression it cannot run: its own failures, and plain
# Python errors where it meets a value of a shape it does not expect.
_PIPELINE_FAILURES = (mongomock.PyMongoError, NotImplementedError, TypeError, ValueError, KeyError,
                      AttributeError, IndexError)


def check_documents(ctx: "ModuleContext", data: Any) -> None:
    if not isinstance(data, list):
        raise ModuleError(f"{ctx.where}: input `data` must be a list of objects, not {json_type(data)}; "
                          f"point it at a list in the state", retryable=False)
    for i, doc in enumerate(data):
        if not isinstance(doc, dict):
            raise ModuleError(f"{ctx.where}: item {i} of input `data` must be an object, not {json_type(doc)}; "
                              f"a pipeline runs over objects (documents) only", retryable=False)


def check_stages(ctx: "ModuleContext", pipeline: Any) -> None:
    # mongomock reads only the first key of a stage and crashes on a stage that is not an object,
    # so the shape of each stage is checked before it sees them.
    if not isinstance(pipeline, list):
        raise ModuleError(f"{ctx.where}: input `pipeline` must be a list of stages such as "
                          f"{{\"$match\": {{...}}}}, not {json_type(pipeline)}", retryable=False)
    for i, stage in enumerate(pipeline):
        if not (isinstance(stage, dict) and len(stage) == 1 and str(next(iter(stage))).startswith("$")):
            raise ModuleError(f"{ctx.where}: stage {i} of `pipeline` must be an object with exactly one "
                              f"key naming the stage, such as {{\"$sort\": {{\"weight\": -1}}}}; "
                              f"it is {json.dumps(stage, default=str)[:120]}", retryable=False)


def aggregate(ctx: "ModuleContext", data: list[dict], pipeline: list[dict]) -> list[dict]:
    collection = mongomock.MongoClient().get_database("query").get_collection("data")
    try:
        collection.insert_many(copy.deepcopy(data))
    except _PIPELINE_FAILURES as exc:
        raise ModuleError(f"{ctx.where}: input `data` cannot be stored as documents ({exc}); "
                          f"each `_id`, if given, must be unique", retryable=False) from exc
    try:
        return list(collection.aggregate(pipeline))
    except _PIPELINE_FAILURES as exc:
        failing = _first_failing_stage(collection, pipeline)
        raise ModuleError(f"{ctx.where}: stage {failing} of `pipeline` ({next(iter(pipeline[failing]))}) "
                          f"cannot run: {str(exc).rstrip('.')}. Correct or remove that stage in the step file",
                          retryable=False) from exc


def _first_failing_stage(collection, pipeline: list[dict]) -> int:
    """The shortest prefix of the pipeline that fails ends at the stage to blame."""
    for end in range(1, len(pipeline) + 1):
        try:
            list(collection.aggregate(pipeline[:end]))
        except _PIPELINE_FAILURES:
            return end - 1
    return len(pipeline) - 1


def _plain_json(ctx: "ModuleContext", result: list[dict]) -> list[dict]:
    """The state holds JSON: a value only the database knows ($$NOW's date) is refused here."""
    try:
        return json.loads(json.dumps(result, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise ModuleError(f"{ctx.where}: the pipeline's result holds a value that is not JSON ({exc}); "
                          f"convert it in the pipeline (e.g. with $toString)", retryable=False) from exc


def run_pipeline(ctx: "ModuleContext", data: Any, pipeline: Any) -> list[dict]:
    """The pipeline's result as plain JSON, without the collection's `_id` (as in the seed system)."""
    check_documents(ctx, data)
    check_stages(ctx, pipeline)
    if not data:
        return []
    result = aggregate(ctx, data, pipeline)
    for doc in result:
        doc.pop("_id", None)
    return _plain_json(ctx, result)
