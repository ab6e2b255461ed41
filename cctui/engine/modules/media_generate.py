"""`media.generate`: prompts per provider, generations started as sub-actions, one picked.

The interaction's display data carries the prompts, the display schema, the sub-actions and the
source image; the generations themselves are read from the jobs and content tables.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import Field

from cctui.engine.answer_text import generation_text
from cctui.engine.errors import AnswerError, ModuleError
from cctui.engine.generations import for_state, module_generations, selectable_items
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import INDEX, Answer, Inputs, ModuleContract, shown
from cctui.engine.ux import OWN_FILE_PROVIDER, media_tabs, ux
from cctui.providers.offers import route_action


def with_setup_notes(schema: dict[str, Any], tabs: dict[str, Any], action: str | None,
                     providers: Any) -> dict[str, Any]:
    """The display schema with `_ux.unavailable` on each tab whose provider is not configured,
    saying how to configure it: the form shows that instead of a Generate that can only fail."""
    setup = getattr(providers, "setup_needed", None)
    if setup is None or not action:
        return schema
    notes = {key: setup(ux(tab).get("provider") or key, route_action(action)) for key, tab in tabs.items()
             if not ux(tab).get("unavailable") and ux(tab).get("provider") != OWN_FILE_PROVIDER}
    notes = {key: note for key, note in notes.items() if note}
    if not notes:
        return schema
    shown = copy.deepcopy(schema)
    for key, note in notes.items():
        tab = shown["properties"][key]
        tab["_ux"] = {**ux(tab), "unavailable": note}
        for dotted in [k for k in tab if k.startswith("_ux.")]:
            del tab[dotted]
    return shown


def source_content_id(inputs: dict[str, Any]) -> str | None:
    source = inputs.get("source_image")
    return source.get("content_id") if isinstance(source, dict) else None


class GenerateInputs(Inputs):
    schema_: dict[str, Any] = Field(alias="schema")  # the display schema; its `tab.media` properties
    prompts: dict[str, Any] = {}  # keyed by tab: the values that pre-fill each tab's form
    source_image: dict[str, Any] | None = None  # the image an img2vid / img2img generation starts from
    optional: bool = False
    title: str = shown("Generate")
    skip_label: str = shown("Continue without one")


class GenerateAnswer(Answer):
    select: int | list[int] = Field(None, description=INDEX)  # among finished items, in creation order
    selected_index: int | list[int] = Field(None, description=INDEX)
    selected_content_id: str = Field(None, description="a string")
    skip: bool = Field(False, description="true or false")


@register
class MediaGenerate(Module):
    module_id = "media.generate"
    contract = ModuleContract(inputs=GenerateInputs,
                              outputs=frozenset({"selected_content_id", "selected_content", "generations"}),
                              view="media", answer=GenerateAnswer, sub_actions=True)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        schema = inputs.get("schema") or {}
        tabs = media_tabs(schema)
        if not tabs:
            raise ModuleError(f"{ctx.where}: the display schema has no `render_as: tab.media` property",
                              retryable=False)
        prompts = inputs.get("prompts") or {}
        if not isinstance(prompts, dict):
            raise ModuleError(f"{ctx.where}: `prompts` must be an object keyed by provider tab")
        source = inputs.get("source_image")
        action = next((s.action_type for s in ctx.spec.sub_actions if getattr(s, "action_type", None)), None)
        providers = getattr(getattr(ctx, "services", None), "providers", None)  # a bare context has none
        return {
            "title": inputs.get("title", "Generate"),
            "data": dict(prompts),
            "schema": with_setup_notes(schema, tabs, action, providers),
            "tabs": list(tabs),
            "sub_actions": [s.model_dump() for s in ctx.spec.sub_actions],
            "source_image": source,
            "generations": [],
            "optional": bool(inputs.get("optional")),
            "skip_label": inputs.get("skip_label", "Continue without one"),
        }

    def answer_text(self, display: dict[str, Any], outputs: dict[str, Any]) -> str:
        return generation_text(outputs.get("selected_content"))

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        gens = await module_generations(ctx.services.store, ctx.run_id, ctx.step.step_id, ctx.spec.name,
                                        source_content_id(inputs))
        items = selectable_items(gens)
        if answer.get("skip"):
            if not inputs.get("optional"):
                raise AnswerError(f"{ctx.where}: this step needs a generation; it cannot be skipped")
            return {"selected_content_id": None, "selected_content": None, "generations": for_state(gens)}
        if not items:
            raise AnswerError(f"{ctx.where}: nothing has been generated yet; generate first, then choose one")
        chosen = None
        if answer.get("selected_content_id"):
            chosen = next((i for i in items if i["content_id"] == answer["selected_content_id"]), None)
            if chosen is None:
                raise AnswerError(f"{ctx.where}: no finished generation {answer['selected_content_id']!r} here")
        else:
            index = answer.get("select", answer.get("selected_index"))
            if isinstance(index, list) and len(index) == 1:
                index = index[0]
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(items):
                raise AnswerError(f"{ctx.where}: choose a generation by number, 0 to {len(items) - 1}")
            chosen = items[index]
        return {
            "selected_content_id": chosen["content_id"],
            "selected_content": chosen,
            "generations": for_state(gens),
        }
