"""`io.validate`: checks state keys against a JSON Schema (Draft 2020-12), as one object
`{key: value}` (a key not in the state is null). It reports what is wrong in `errors`, each with
the state path it concerns; only with `strict` does it stop the run."""

from __future__ import annotations

from typing import Any

import jsonschema
from pydantic import Field

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.module_shape import json_type


class ValidateInputs(Inputs):
    schema_: dict[str, Any] = Field(alias="schema")
    state_keys: list[str]
    strict: bool = False
    error_message: str | None = None


@register
class Validate(Module):
    module_id = "io.validate"
    contract = ModuleContract(inputs=ValidateInputs, outputs=frozenset({"valid", "errors"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        schema, keys = inputs.get("schema"), inputs.get("state_keys")
        if not isinstance(schema, dict):
            raise ModuleError(f"{ctx.where}: input `schema` must be a JSON Schema object, not {json_type(schema)}",
                              retryable=False)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ModuleError(f"{ctx.where}: input `state_keys` must be a list of state key names", retryable=False)
        try:
            validator = jsonschema.Draft202012Validator(schema)
            validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            where = "".join(_step(p) for p in exc.path) or " (its top level)"
            raise ModuleError(f"{ctx.where}: input `schema` is not a valid JSON Schema (Draft 2020-12) at "
                              f"schema{where}: {exc.message}", retryable=False) from None
        document = {key: ctx.state.get(key) for key in keys}
        errors = [f"{_path(error.absolute_path)}: {error.message}"
                  for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
        if errors and inputs.get("strict"):
            prefix = inputs.get("error_message") or "the state does not fit the schema"
            raise ModuleError(f"{ctx.where}: {prefix}: {'; '.join(errors)}. Go back to the module that writes "
                              f"these keys and run it again, or correct the schema", retryable=True)
        return {"valid": not errors, "errors": errors}


def _path(parts: Any) -> str:
    return "state" + "".join(_step(p) for p in parts)


def _step(part: Any) -> str:
    return f"[{part}]" if isinstance(part, int) else f".{part}"
