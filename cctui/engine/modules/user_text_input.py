"""`user.text_input`: free text from the creator, optional unless the step says otherwise
(`required: true`, or the seed format's `allow_empty: false`)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError, ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract, shown


class TextInputs(Inputs):
    default: str = ""
    multiline: bool = False
    required: bool = False
    # The seed format's name for the opposite of `required`. Unset, each format's own default
    # holds: optional in cctui's workflows, required (the seed's false) in one written for the
    # seed system (one whose undefined paths render empty).
    allow_empty: bool | None = None
    max_length: int | None = None
    # The seed format's pattern rule: the text (or each part of it, split by the separator) must
    # match from its start; `validation_error` is what the creator is told.
    validation_pattern: str | None = None
    validation_separator: str | None = None
    validation_separator_is_regex: bool = False
    validation_error: str = shown("")
    require_at_least_one_match: bool = True
    # The seed system's retry by keyword; cctui offers retry through the options (validate says so).
    retry_trigger_keyword: str | None = None
    retry_options: list[dict[str, Any]] = []
    prompt: str = shown("Your text")
    placeholder: str = shown("")


class TextAnswer(Answer):
    text: str = Field("", description="a string")


@register
class UserTextInput(Module):
    module_id = "user.text_input"
    # `value` is the seed format's name for the text: its step files write it to the state.
    contract = ModuleContract(inputs=TextInputs, outputs=frozenset({"text", "value"}), view="text_input",
                              answer=TextAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": inputs.get("prompt", "Your text"),
            "placeholder": inputs.get("placeholder", ""),
            "default": inputs.get("default", ""),
            "multiline": bool(inputs.get("multiline")),
            "required": _required(inputs, ctx),
            "max_length": inputs.get("max_length"),
            "rule": _rule_text(inputs),
        }

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        text = answer.get("text", "")
        if not isinstance(text, str):
            raise AnswerError(f"{ctx.where}: the answer's `text` must be a string")
        # As in the seed system, an empty answer takes the default.
        text = text.strip() or str(inputs.get("default") or "").strip()
        if _required(inputs, ctx) and not text:
            rule = ("required is true" if inputs.get("required") else "allow_empty is false"
                    if inputs.get("allow_empty") is False else "allow_empty is unset: the seed format's default is false")
            raise AnswerError(f"{ctx.where}: an answer is required here ({rule}) and it was empty: "
                              f"type some text, then continue")
        limit = inputs.get("max_length")
        if isinstance(limit, int) and len(text) > limit:
            raise AnswerError(f"{ctx.where}: the text is {len(text)} characters; at most {limit} fit")
        if text and inputs.get("validation_pattern"):
            _check_pattern(ctx, inputs, text)
        return {"text": text, "value": text}


def _rule_text(inputs: dict[str, Any]) -> str:
    if not inputs.get("validation_pattern"):
        return ""
    return str(inputs.get("validation_error") or f"must match {inputs['validation_pattern']}")


def _check_pattern(ctx: ModuleContext, inputs: dict[str, Any], text: str) -> None:
    try:
        pattern = re.compile(inputs["validation_pattern"])
        separator = inputs.get("validation_separator")
        if separator and inputs.get("validation_separator_is_regex"):
            parts = re.split(separator, text)
        else:
            parts = text.split(separator) if separator else [text]
    except re.error as exc:
        raise ModuleError(f"{ctx.where}: validation_pattern or validation_separator is not a valid regular "
                          f"expression ({exc}): fix it in the step file", retryable=False) from None
    parts = [p.strip() for p in parts if p.strip()]
    bad = [p for p in parts if not pattern.match(p)]
    if bad or (inputs.get("require_at_least_one_match", True) and not parts):
        told = inputs.get("validation_error") or f"each part must match {inputs['validation_pattern']}"
        which = f" ({bad[0]!r} does not)" if bad and separator else ""
        raise AnswerError(f"{told}{which}: change the text and continue")


def _required(inputs: dict[str, Any], ctx: ModuleContext) -> bool:
    allow_empty = inputs.get("allow_empty")
    if allow_empty is None:
        allow_empty = not ctx.workflow.lenient
    return bool(inputs.get("required")) or allow_empty is False
