"""`user.text_input`: free text from the creator, optional unless the step says otherwise."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import AnswerError
from cctui.engine.modules.base import Module, ModuleContext, register


@register
class UserTextInput(Module):
    module_id = "user.text_input"
    interactive = True
    kind = "text_input"

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
