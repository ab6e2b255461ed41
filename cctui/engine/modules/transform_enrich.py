"""`transform.enrich`: copies values from a flat list of enrichments into a nested document.

`mapping_schema` mirrors the document (`object` / `array` nodes); a property of type
`enrichment_map` is set from the enrichment whose `enrichment_data_id_field` equals the
document object's `document_data_id_field`, taking the enrichment's `source_field`. Every
mapped object must find its enrichment and every enrichment must be used: an LLM that summarised
items by id has then summarised each exactly once.
"""

from __future__ import annotations

import copy
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.module_shape import json_type

MAP = "enrichment_map"
MAP_KEYS = ("document_data_id_field", "enrichment_data_id_field", "source_field")


class EnrichInputs(Inputs):
    data: Any
    enrichments: list[Any]
    mapping_schema: dict[str, Any]


@register
class Enrich(Module):
    module_id = "transform.enrich"
    contract = ModuleContract(inputs=EnrichInputs, outputs=frozenset({"enriched_data"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        enrichments, mapping = inputs.get("enrichments"), inputs.get("mapping_schema")
        if not isinstance(enrichments, list):
            raise ModuleError(f"{ctx.where}: input `enrichments` must be a list of objects, not "
                              f"{json_type(enrichments)}", retryable=False)
        if not isinstance(mapping, dict):
            raise ModuleError(f"{ctx.where}: input `mapping_schema` must be an object, not {json_type(mapping)}",
                              retryable=False)
        lookups = {field: _index(ctx, enrichments, field) for field in _id_fields(ctx, mapping, "mapping_schema")}
        used: dict[str, set[str]] = {field: set() for field in lookups}
        missing: list[str] = []
        data = copy.deepcopy(inputs.get("data"))
        _walk(ctx, data, mapping, "$", lookups, used, missing)
        if missing:
            raise ModuleError(f"{ctx.where}: no enrichment for {len(missing)} mapped object(s): "
                              f"{', '.join(missing[:10])}: every mapped object needs one enrichment with its id",
                              retryable=True)
        for field, lookup in lookups.items():
            unused = sorted(set(lookup) - used[field])
            if unused:
                raise ModuleError(f"{ctx.where}: enrichment {field} {', '.join(map(repr, unused[:10]))} matches "
                                  f"nothing in `data`: each enrichment must carry the id of an object in the data",
                                  retryable=True)
        return {"enriched_data": data}


def _id_fields(ctx: ModuleContext, node: Any, path: str) -> list[str]:
    """The enrichment id fields the mapping uses, checking each enrichment_map node on the way."""
    if not isinstance(node, dict):
        return []
    kind = node.get("type")
    if kind == MAP:
        absent = [k for k in MAP_KEYS if not isinstance(node.get(k), str) or not node.get(k)]
        if absent:
            raise ModuleError(f"{ctx.where}: the enrichment_map at {path} lacks {', '.join(absent)}: an "
                              f"enrichment_map names all of {', '.join(MAP_KEYS)}", retryable=False)
        return [node["enrichment_data_id_field"]]
    if kind == "array":
        return _id_fields(ctx, node.get("items"), f"{path}.items")
    found: list[str] = []
    for name, sub in (node.get("properties") or {}).items():
        found += [f for f in _id_fields(ctx, sub, f"{path}.properties.{name}") if f not in found]
    return found


def _index(ctx: ModuleContext, enrichments: list[Any], field: str) -> dict[str, dict]:
    lookup: dict[str, dict] = {}
    for i, item in enumerate(enrichments):
        if not isinstance(item, dict) or item.get(field) is None:
            continue  # an enrichment for another id field
        key = str(item[field])
        if key in lookup:
            raise ModuleError(f"{ctx.where}: enrichments {field} {key!r} appears twice (items "
                              f"{enrichments.index(lookup[key])} and {i}): each id may be enriched once",
                              retryable=True)
        lookup[key] = item
    return lookup


def _walk(ctx: ModuleContext, data: Any, node: Any, path: str, lookups: dict, used: dict, missing: list) -> None:
    if not isinstance(node, dict):
        return
    if node.get("type") == "array" and isinstance(data, list):
        for i, item in enumerate(data):
            _walk(ctx, item, node.get("items"), f"{path}[{i}]", lookups, used, missing)
        return
    if not isinstance(data, dict):
        return  # the data has no object here; nothing to enrich
    for name, sub in (node.get("properties") or {}).items():
        if isinstance(sub, dict) and sub.get("type") == MAP:
            doc_field, field, source = (sub[k] for k in MAP_KEYS)
            if data.get(doc_field) is None:
                raise ModuleError(f"{ctx.where}: the object at {path} in `data` has no {doc_field!r} to match "
                                  f"enrichments by (for {name!r})", retryable=False)
            key = str(data[doc_field])
            enrichment = lookups[field].get(key)
            if enrichment is None:
                missing.append(f"{path}.{name} ({doc_field} {key!r})")
                continue
            if source not in enrichment:
                raise ModuleError(f"{ctx.where}: the enrichment with {field} {key!r} has no {source!r} to copy "
                                  f"into {path}.{name}", retryable=True)
            data[name] = enrichment[source]
            used[field].add(key)
        elif name in data:
            _walk(ctx, data[name], sub, f"{path}.{name}", lookups, used, missing)
