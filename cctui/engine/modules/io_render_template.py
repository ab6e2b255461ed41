"""`io.render_template`: a Jinja2 template over the run's state, rendered to text."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.templates import render_string


class TemplateInputs(Inputs):
    # Rendered here, over the whole state, so it is never listed for the engine to resolve.
    template: str


@register
class RenderTemplate(Module):
    module_id = "io.render_template"
    # `rendered` is the seed system's name for the same text.
    contract = ModuleContract(inputs=TemplateInputs, outputs=frozenset({"text", "rendered"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        template = inputs.get("template")
        if not isinstance(template, str):
            raise ModuleError(f"{ctx.where}: input `template` must be text", retryable=False)
        if "template" in ctx.spec.server_resolved():
            # Already rendered by the engine (the seed system's way); rendering it again would
            # run any `{{` the state's own text holds.
            return {"text": template, "rendered": template}
        source = getattr(template, "source", "") or "inputs.template"
        text = str(render_string(template, ctx.template_context(), f"{ctx.where}, template {source}"))
        return {"text": text, "rendered": text}
