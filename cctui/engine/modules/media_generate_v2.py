"""`media.generateV2`: the seed system's media step that writes its own prompts.

Before it asks, one LLM request writes every provider's prompt (`v2_prompts`); the answer is
stored with the question (`prepare`), so answering, generating and reopening the run read it and
the model is asked again only when the creator retries this module with feedback. The question
itself is `media.generate`'s: a tab per provider, generations started as sub-actions, one picked.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Literal

from pydantic import Field

from cctui.engine.answer_text import generation_text
from cctui.engine.errors import AnswerError, ModuleError
from cctui.engine.generations import for_state, module_generations, selectable_items
from cctui.engine.modules.api_llm import ApiLLM
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import INDEX, Answer, Inputs, ModuleContract, shown
from cctui.engine.modules.media_generate import source_content_id
from cctui.engine.ux import media_tabs, ux
from cctui.engine.v2_prompts import ALLOWED, llm_inputs
from cctui.engine.v2_tabs import default_schema, media_tabs_of
from cctui.providers.offers import client_params, offers, route_action, unavailable


class GenerateV2Inputs(Inputs):
    action_type: Literal["txt2img", "img2vid", "txt2audio"] = "txt2img"
    providers: list[str]
    prompt_config: dict[str, Any]
    display_schema: dict[str, Any] | None = None
    title: str = shown("Generate Media")
    source_image: dict[str, Any] | None = None


class GenerateV2Answer(Answer):
    select: int | list[int] = Field(None, description=INDEX)  # among finished items, in creation order
    selected_index: int | list[int] = Field(None, description=INDEX)
    selected_content_id: str = Field(None, description="a string")
    skip: bool = Field(False, description="true or false")


def check_providers(action: str, providers: Any, where: str) -> list[str]:
    allowed = ALLOWED.get(action)
    if allowed is None:
        raise ModuleError(f"{where}: action_type {action!r} is not one of {', '.join(ALLOWED)}", retryable=False)
    if not isinstance(providers, list) or not providers:
        raise ModuleError(f"{where}: `providers` must name at least one of {', '.join(allowed)}", retryable=False)
    if len(set(map(str, providers))) != len(providers):
        raise ModuleError(f"{where}: `providers` names a provider twice", retryable=False)
    wrong = [p for p in providers if p not in allowed]
    if wrong:
        raise ModuleError(f"{where}: {action} prompts cannot be written for {wrong[0]!r}; choose from "
                          f"{', '.join(allowed)}", retryable=False)
    return [str(p) for p in providers]


def _providers(inputs: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """(action, providers) as the step file writes them, when neither is left to a template."""
    action, providers = inputs.get("action_type", "txt2img"), inputs.get("providers")
    if action not in ALLOWED or not isinstance(providers, list) or any(not isinstance(p, str) for p in providers):
        return None
    return action, providers


def provider_errors(inputs: dict[str, Any]) -> Iterator[tuple[tuple, str]]:
    """At load: at least one provider, each once, each one the action has prompts for."""
    found = _providers(inputs)
    if found is None:
        return
    action, providers = found
    allowed = ALLOWED[action]
    if not providers:
        yield ("inputs", "providers"), f"name at least one provider ({', '.join(allowed)})"
    for i, provider in enumerate(providers):
        if provider not in allowed:
            yield (("inputs", "providers", i), f"provider {provider!r} has no {action} prompts; choose from "
                                               f"{', '.join(allowed)}")
        elif provider in providers[:i]:
            yield ("inputs", "providers", i), f"provider {provider!r} is named twice: remove one"


def provider_warnings(inputs: dict[str, Any]) -> Iterator[tuple[tuple, str]]:
    """For `cctui validate`: each provider whose tab will show its prompt but cannot generate."""
    found = _providers(inputs)
    if found is None:
        return
    action, providers = found
    for i, provider in enumerate(providers):
        reason = unavailable(provider, action) if provider in ALLOWED[action] else None
        if reason:
            yield (("inputs", "providers", i), f"provider {provider!r} ({action}): its tab shows the prompt, but "
                                               f"cannot generate: {reason}")


@register
class MediaGenerateV2(Module):
    module_id = "media.generateV2"
    contract = ModuleContract(inputs=GenerateV2Inputs,
                              outputs=frozenset({"selected_content_id", "selected_content", "generations",
                                                 "generated_prompts"}),
                              view="media", answer=GenerateV2Answer, sub_actions=True,
                              working="Writing the prompts for", action_input="action_type",
                              input_errors=provider_errors, input_warnings=provider_warnings)

    async def prepare(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        action = inputs.get("action_type") or "txt2img"
        providers = check_providers(action, inputs.get("providers"), ctx.where)
        asked = llm_inputs(inputs.get("prompt_config"), providers, action, ctx.step.step_id, ctx.where)
        answer = (await ApiLLM().execute(ctx, asked))["response"]
        if not isinstance(answer, dict) or not isinstance(answer.get("prompts"), dict):
            raise ModuleError(f"{ctx.where}: the model's answer has no `prompts` object")
        display_schema = inputs.get("display_schema")
        if not isinstance(display_schema, dict) or not display_schema:
            display_schema = default_schema(providers, action)
        source = inputs.get("source_image") if isinstance(inputs.get("source_image"), dict) else None
        setup = getattr(ctx.services.providers, "setup_needed", None) or (lambda p, a: None)
        schema, prompts = media_tabs_of(display_schema, answer, lambda p: offers(p, action),
                                        lambda p: unavailable(p, action) or setup(p, route_action(action)), source)
        if not prompts:
            raise ModuleError(f"{ctx.where}: the display schema has no `render_as: tab.media` node over the "
                              f"model's prompts (under a `render_as: tabs` node)", retryable=False)
        return {**inputs, "_generated_prompts": answer, "schema": schema, "prompts": prompts}

    def earlier_answer(self, inputs: dict[str, Any]) -> str | None:
        answer = inputs.get("_generated_prompts")
        return json.dumps(answer, ensure_ascii=False) if answer is not None else None

    def generation(self, inputs: dict[str, Any], sub: Any, tab: str,
                   values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        tab_schema = media_tabs(inputs.get("schema") or {}).get(tab) or {}
        hints = ux(tab_schema)
        if hints.get("unavailable"):
            raise AnswerError(f"{hints.get('tab_label') or tab}: {hints['unavailable']} Nothing was sent.")
        action = route_action(inputs.get("action_type") or "txt2img")
        return action, client_params(str(hints.get("provider") or tab), action, values)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        action = route_action(inputs.get("action_type") or "txt2img")
        subs = [{**s.model_dump(), "action_type": s.action_type or action} for s in ctx.spec.sub_actions]
        return {
            "title": inputs.get("title") or "Generate Media",
            "data": inputs.get("prompts") or {},
            "schema": inputs.get("schema") or {},
            "tabs": list(media_tabs(inputs.get("schema") or {})),
            "sub_actions": subs,
            "source_image": inputs.get("source_image"),
            "generations": [],
            "optional": False,
        }

    def answer_text(self, display: dict[str, Any], outputs: dict[str, Any]) -> str:
        return generation_text(outputs.get("selected_content"))

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        """Picking is left to the step's checks (a step may go on without a generation after a
        warning): no choice gives no selected content."""
        gens = await module_generations(ctx.services.store, ctx.run_id, ctx.step.step_id, ctx.spec.name,
                                        source_content_id(inputs))
        items = selectable_items(gens)
        chosen = None
        index = answer.get("select", answer.get("selected_index"))
        if answer.get("selected_content_id"):
            chosen = next((i for i in items if i["content_id"] == answer["selected_content_id"]), None)
            if chosen is None:
                raise AnswerError(f"{ctx.where}: no finished generation {answer['selected_content_id']!r} here")
        elif index is not None and not answer.get("skip"):
            if isinstance(index, list) and len(index) == 1:
                index = index[0]
            if not items:
                raise AnswerError(f"{ctx.where}: nothing has been generated yet; generate first, then choose one")
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(items):
                raise AnswerError(f"{ctx.where}: choose a generation by number, 0 to {len(items) - 1}")
            chosen = items[index]
        return {
            "selected_content_id": chosen["content_id"] if chosen else None,
            "selected_content": chosen,
            "generations": for_state(gens),
            "generated_prompts": inputs.get("_generated_prompts") or {},
        }
