"""`user.form`: a table with one row per data item, where the creator fills in the fields of the
display schema's `input_schema` for each item (a weight per style, a mode per scene).

Outputs, as the seed format makes them: `form_data`, one row per item in data order,
`{"_item": <the item>, "_index": <its position>, <field>: <value>, ...}`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cctui.engine.errors import ModuleError
from cctui.engine.form_rows import check_rows, input_schema_of, item_label, required_keys, row_defaults
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract, shown


class FormInputs(Inputs):
    data: list[Any]
    schema_: dict[str, Any] = Field(alias="schema")
    prompt: str = shown("Please fill out the form")
    # The seed's rendering hint for its web client; cctui shows every form as a table.
    form_type: str = "table"


class FormAnswer(Answer):
    form_data: list[Any] = Field(
        None, description="a list with one object of field values per item, in order ({} keeps a row's defaults)")


def _form(ctx: ModuleContext, inputs: dict[str, Any]) -> tuple[list[Any], dict[str, Any], list[str]]:
    data, schema = inputs.get("data"), inputs.get("schema")
    if not isinstance(data, list):
        raise ModuleError(f"{ctx.where} (user.form): input `data` must be a list of items, one row each",
                          retryable=False)
    input_schema = input_schema_of(schema)
    if input_schema is None:
        raise ModuleError(f"{ctx.where} (user.form): input `schema` has no `input_schema` with `properties`: "
                          f"add one naming the fields to fill in for each item", retryable=False)
    return data, input_schema, [item_label(item, schema) for item in data]


@register
class UserForm(Module):
    module_id = "user.form"
    contract = ModuleContract(inputs=FormInputs, outputs=frozenset({"form_data"}), view="form",
                              answer=FormAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        data, input_schema, labels = _form(ctx, inputs)
        return {
            "prompt": inputs.get("prompt") or "Please fill out the form",
            "form_type": inputs.get("form_type") or "table",
            "input_schema": input_schema,
            "required": sorted(required_keys(input_schema)),
            "labels": labels,
            "rows": [row_defaults(input_schema) for _ in data],
        }

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        data, input_schema, labels = _form(ctx, inputs)
        rows = check_rows(input_schema, data, answer.get("form_data"), labels, ctx.where)
        return {"form_data": [{"_item": item, "_index": i, **row} for i, (item, row) in enumerate(zip(data, rows))]}
