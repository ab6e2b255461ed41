"""`transform.parse_pattern`: structured text typed by a creator ("2x3p, 1x5") turned into items.

The input is split on `pattern.separator`, and each part goes through, in this order: the
regex's named groups → `field_types` casts → `mappings` (value renames, the old value kept as
`<field>_original`) → `lookups` (an item of a list found by field or position) → `computed`
fields (expressions evaluated by simpleeval, never Python's eval) → `validation` rules.

A part that does not fit is reported in `errors` (and `valid` is false) for the workflow to ask
again; a mistake in the configuration itself (a bad regex, an unknown type) stops the run.
"""

from __future__ import annotations

import math
import re
from typing import Any

from simpleeval import EvalWithCompoundTypes

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.module_shape import json_type

_CASTS = {"int": int, "integer": int, "float": float, "number": float, "string": str, "str": str,
          "bool": "bool", "boolean": "bool"}
_FUNCTIONS = {"ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "pow": math.pow, "min": min, "max": max,
              "abs": abs, "round": round, "len": len, "int": int, "float": float, "str": str}


class ParsePatternInputs(Inputs):
    input: str
    pattern: dict[str, Any]
    field_types: dict[str, str] = {}
    mappings: dict[str, dict[str, Any]] = {}
    lookups: dict[str, dict[str, Any]] = {}
    computed: list[dict[str, Any]] = []
    validation: dict[str, dict[str, Any]] = {}
    sum_field: str | None = None


@register
class ParsePattern(Module):
    module_id = "transform.parse_pattern"
    contract = ModuleContract(inputs=ParsePatternInputs, outputs=frozenset({"items", "count", "total", "valid",
                                                                           "errors"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        text = inputs.get("input")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise ModuleError(f"{ctx.where}: input `input` must be text to parse, not {json_type(text)}",
                              retryable=False)
        config = _Config(ctx, inputs)
        items, errors = [], []
        for index, part in enumerate(config.parts(text)):
            item, problems = config.parse(part, index)
            items.append(item)
            errors.extend(problems)
        sum_field = inputs.get("sum_field")
        total = sum(item[sum_field] for item in items if sum_field and isinstance(item.get(sum_field), (int, float))
                    and not isinstance(item.get(sum_field), bool))
        return {"items": items, "count": len(items), "total": total, "valid": not errors, "errors": errors}


class _Config:
    """The checked configuration; any mistake in it is named before a part is parsed."""

    def __init__(self, ctx: ModuleContext, inputs: dict[str, Any]):
        self.where = ctx.where
        pattern = inputs.get("pattern")
        if not isinstance(pattern, dict) or not isinstance(pattern.get("regex"), str) or not pattern["regex"]:
            raise self._error("input `pattern` must be an object with a `regex` (named groups become fields)")
        self.regex = self._compile(pattern["regex"], "pattern.regex")
        separator = pattern.get("separator")
        self.separator = (self._compile(separator, "pattern.separator") if separator and pattern.get(
            "separator_is_regex") else separator or None)
        self.trim = pattern.get("trim", True) is not False
        self.types = self._dict(inputs, "field_types")
        for field, name in self.types.items():
            if not isinstance(name, str) or name.lower() not in _CASTS:
                raise self._error(f"`field_types.{field}` is {name!r}; use one of {', '.join(sorted(_CASTS))}")
        self.mappings = self._dict(inputs, "mappings")
        self.lookups = self._dict(inputs, "lookups")
        for field, lookup in self.lookups.items():
            if not isinstance(lookup, dict) or not isinstance(lookup.get("source"), list):
                raise self._error(f"`lookups.{field}.source` must be a list to look values up in (resolve it from "
                                  f"the state with a server-resolved template or a $ref), not "
                                  f"{json_type(lookup.get('source') if isinstance(lookup, dict) else lookup)}")
        self.computed = inputs.get("computed") or []
        if not isinstance(self.computed, list) or not all(
                isinstance(c, dict) and isinstance(c.get("field"), str) and isinstance(c.get("expression"), str)
                for c in self.computed):
            raise self._error("input `computed` must be a list of {\"field\": name, \"expression\": text}")
        self.validation = self._dict(inputs, "validation")
        for field, rules in self.validation.items():
            if not isinstance(rules, dict):
                raise self._error(f"`validation.{field}` must be an object of rules (min, max, in, pattern, "
                                  f"required)")
            if isinstance(rules.get("pattern"), str):
                self._compile(rules["pattern"], f"validation.{field}.pattern")

    def _error(self, text: str) -> ModuleError:
        return ModuleError(f"{self.where}: {text}", retryable=False)

    def _dict(self, inputs: dict[str, Any], name: str) -> dict[str, Any]:
        value = inputs.get(name) or {}
        if not isinstance(value, dict):
            raise self._error(f"input `{name}` must be an object by field name, not {json_type(value)}")
        return value

    def _compile(self, text: Any, name: str) -> re.Pattern:
        try:
            return re.compile(text)
        except (re.error, TypeError) as exc:
            raise self._error(f"`{name}` is not a valid regular expression ({exc}): correct it") from None

    def parts(self, text: str) -> list[str]:
        if isinstance(self.separator, re.Pattern):
            parts = self.separator.split(text)
        else:
            parts = text.split(self.separator) if self.separator else [text]
        return [p for p in ((p.strip() if self.trim else p) for p in parts) if p]

    def parse(self, raw: str, index: int) -> tuple[dict[str, Any], list[str]]:
        item: dict[str, Any] = {"_raw": raw, "_index": index}
        match = self.regex.match(raw)
        if not match:
            return item, [f"Item '{raw}' does not match pattern"]
        item.update(match.groupdict())
        errors: list[str] = []
        for field, name in self.types.items():
            if item.get(field) is not None:
                try:
                    item[field] = _cast(item[field], name.lower())
                except (TypeError, ValueError):
                    errors.append(f"Item '{raw}': Cannot cast '{field}' to {name}")
        for field, mapping in self.mappings.items():
            if field in item and isinstance(mapping, dict):
                key = item[field] if item[field] in mapping else str(item[field])
                if key in mapping:
                    item[f"{field}_original"], item[field] = item[field], mapping[key]
        for field, lookup in self.lookups.items():
            if field in item:
                found = _lookup(item[field], lookup)
                if found is not None:
                    item[lookup.get("output_field") or f"{field}_resolved"] = found
                elif lookup.get("required"):
                    errors.append(f"Item '{raw}': Lookup failed for '{field}'={item[field]}")
        for computed in self.computed:
            try:
                item[computed["field"]] = EvalWithCompoundTypes(names=dict(item), functions=_FUNCTIONS).eval(
                    computed["expression"])
            except Exception as exc:  # noqa: BLE001 - simpleeval raises many kinds; each is reported for the part
                errors.append(f"Item '{raw}': Failed to compute '{computed['field']}': {exc}")
        for field, rules in self.validation.items():
            if field in item:
                errors.extend(_broken_rules(raw, field, item[field], rules))
            elif rules.get("required"):
                errors.append(f"Item '{raw}': Missing required field '{field}'")
        return item, errors


def _cast(value: Any, name: str) -> Any:
    cast = _CASTS[name]
    if cast == "bool":
        return value.lower() in ("true", "yes", "1", "on") if isinstance(value, str) else bool(value)
    return cast(value)


def _lookup(value: Any, lookup: dict[str, Any]) -> Any:
    source = lookup["source"]
    if lookup.get("match_by_position"):
        try:
            index = int(value) + int(lookup.get("position_offset", -1))  # positions count from 1
        except (TypeError, ValueError):
            return None
        return source[index] if 0 <= index < len(source) else None
    field = lookup.get("match_field", "id")
    return next((item for item in source if isinstance(item, dict) and item.get(field) == value), None)


def _broken_rules(raw: str, field: str, value: Any, rules: dict[str, Any]) -> list[str]:
    errors = []
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and isinstance(rules.get("min"), (int, float)) and value < rules["min"]:
        errors.append(f"Item '{raw}': '{field}' ({value}) is less than minimum ({rules['min']})")
    if number and isinstance(rules.get("max"), (int, float)) and value > rules["max"]:
        errors.append(f"Item '{raw}': '{field}' ({value}) exceeds maximum ({rules['max']})")
    if isinstance(rules.get("in"), list) and value not in rules["in"]:
        errors.append(f"Item '{raw}': '{field}' ({value}) not in allowed values {rules['in']}")
    if isinstance(rules.get("pattern"), str) and isinstance(value, str) and not re.match(rules["pattern"], value):
        errors.append(f"Item '{raw}': '{field}' ({value}) does not match pattern '{rules['pattern']}'")
    return errors
