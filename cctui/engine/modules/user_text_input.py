"""`user.text_input`: free text from the creator, optional unless the step says otherwise
(`required: true`, or the seed format's `allow_empty: false`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract, shown


class TextInputs(Inputs):
    default: str = ""
    multiline: bool = False
    required: bool = False
    # The seed format's name for the opposite of `required`. Unset, cctui's default (optional)
    # holds; the seed system's own default is false, so its step files that rely on it are optional here.
    allow_empty: bool | None = None
    max_length: int | None = None
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
            "required": _required(inputs),
            "max_length": inputs.get("max_length"),
        }

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        text = answer.get("text", "")
        if not isinstance(text, str):
            raise AnswerError(f"{ctx.where}: the answer's `text` must be a string")
        # As in the seed system, an empty answer takes the default.
        text = text.strip() or str(inputs.get("default") or "").strip()
        if _required(inputs) and not text:
            rule = "allow_empty is false" if inputs.get("allow_empty") is False else "required is true"
            raise AnswerError(f"{ctx.where}: an answer is required here ({rule}) and it was empty: "
                              f"type some text, then continue")
        limit = inputs.get("max_length")
        if isinstance(limit, int) and len(text) > limit:
            raise AnswerError(f"{ctx.where}: the text is {len(text)} characters; at most {limit} fit")
        return {"text": text, "value": text}


def _required(inputs: dict[str, Any]) -> bool:
    return bool(inputs.get("required")) or inputs.get("allow_empty") is False
