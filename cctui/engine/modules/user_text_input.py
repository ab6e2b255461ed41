"""`user.text_input`: free text from the creator, optional unless the step says otherwise."""

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
    max_length: int | None = None
    prompt: str = shown("Your text")
    placeholder: str = shown("")


class TextAnswer(Answer):
    text: str = Field("", description="a string")


@register
class UserTextInput(Module):
    module_id = "user.text_input"
    contract = ModuleContract(inputs=TextInputs, outputs=frozenset({"text"}), view="text_input", answer=TextAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": inputs.get("prompt", "Your text"),
            "placeholder": inputs.get("placeholder", ""),
            "default": inputs.get("default", ""),
            "multiline": bool(inputs.get("multiline")),
            "required": bool(inputs.get("required")),
            "max_length": inputs.get("max_length"),
        }

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        text = answer.get("text", inputs.get("default", ""))
        if not isinstance(text, str):
            raise AnswerError(f"{ctx.where}: the answer's `text` must be a string")
        text = text.strip()
        if inputs.get("required") and not text:
            raise AnswerError(f"{ctx.where}: this text is required")
        limit = inputs.get("max_length")
        if isinstance(limit, int) and len(text) > limit:
            raise AnswerError(f"{ctx.where}: the text is {len(text)} characters; at most {limit} fit")
        return {"text": text}
