"""`user.pause`: show the creator something (a message, a preview rendered from the state, the
state itself) and wait until they go on. The seed format uses it to check a step's work."""

from __future__ import annotations

import json
from typing import Any

from cctui.engine.errors import AnswerError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract, shown

# The state shown in full stops here: a pause is for a look, not for reading megabytes.
STATE_PREVIEW_CHARS = 20_000


class PauseInputs(Inputs):
    message: str = shown("Have a look, then continue")
    # A template rendered against the state for the preview (display-only, so rendered leniently).
    jinja2_test: str = shown("")
    show_state: bool = False


class PauseAnswer(Answer):
    confirmed: bool = True


@register
class UserPause(Module):
    module_id = "user.pause"
    contract = ModuleContract(inputs=PauseInputs, outputs=frozenset({"confirmed"}), view="pause",
                              answer=PauseAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        state = ""
        if inputs.get("show_state"):
            state = json.dumps(ctx.state, indent=2, ensure_ascii=False, default=str)
            if len(state) > STATE_PREVIEW_CHARS:
                state = state[:STATE_PREVIEW_CHARS] + f"\n… ({len(state) - STATE_PREVIEW_CHARS} more characters)"
        return {"message": inputs.get("message") or "Have a look, then continue",
                "preview": inputs.get("jinja2_test") or "", "state": state}

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        if answer.get("confirmed") is False:
            raise AnswerError(f"{ctx.where}: a pause only goes on; to change something, choose an option "
                              f"(retry or go back) instead")
        return {"confirmed": True}
