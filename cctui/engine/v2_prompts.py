"""`media.generateV2`'s prompt generation: one LLM request for every provider's prompt at once.

The request is the seed system's: the workflow's system blocks, then one block holding the
shared instructions and a section per provider; the output schema is built here per action and
provider (a workflow cannot give its own), strict, so each provider gets exactly the fields its
tab reads.
"""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError

SHARED_REF = "{{shared_prompt_ref}}"

# Which providers each action may ask prompts for.
ALLOWED = {
    "txt2img": ("midjourney", "leonardo", "openai", "stable_diffusion"),
    "img2vid": ("openai", "leonardo"),
    "txt2audio": ("elevenlabs",),
}


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _strict(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


_STYLE = _text("Style, lighting and composition notes")
_MUSIC_PROMPT = _strict({
    "name": _text("A short name for this music option"),
    "description": _text("One sentence on how the music feels"),
    "prompt": _text("The full music generation prompt"),
    "suggested_bpm": {"type": "integer", "minimum": 50, "maximum": 120},
    "instruments": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
    "mood": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3},
    "energy": _text("The energy level, e.g. low, medium, building"),
})

PROVIDER_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("txt2img", "midjourney"): _strict({"prompt": _text("The Midjourney prompt"), "style_notes": _STYLE}),
    ("txt2img", "leonardo"): _strict({"prompt": _text("The Leonardo prompt"), "style_notes": _STYLE}),
    ("txt2img", "openai"): _strict({"prompt": _text("The OpenAI image prompt"),
                                    "camera_notes": _text("Camera, lens and framing notes")}),
    ("txt2img", "stable_diffusion"): _strict({
        "tag_prompt": _text("Comma-separated tags"), "natural_prompt": _text("The same image in sentences"),
        "negative_prompt": _text("What must not appear"), "style_notes": _STYLE}),
    ("img2vid", "leonardo"): _strict({
        "positive_prompt": _text("The motion prompt"), "negative_prompt": _text("Motion to avoid"),
        "motion_strength": {"type": "string", "enum": ["subtle", "moderate", "dynamic"]},
        "motion_notes": _text("Notes on the movement")}),
    ("img2vid", "openai"): _strict({"prompt": _text("The video prompt"), "style_notes": _STYLE}),
    ("txt2audio", "elevenlabs"): _strict({"data": {"type": "array", "items": _MUSIC_PROMPT,
                                                   "minItems": 3, "maxItems": 3}}),
}

_EXTRA_FIELDS = {
    "txt2img": {"scene_title": _text("The title of the scene these prompts are for"),
                "key_moment": _text("Brief description of the key visual moment being captured")},
    "img2vid": {"scene_title": _text("The scene this video prompt is for"),
                "motion_summary": _text("Brief description of the primary motion in this video")},
}


def output_schema(action: str, providers: list[str]) -> dict[str, Any]:
    prompts = {"type": "object", "properties": {p: PROVIDER_SCHEMAS[(action, p)] for p in providers},
               "required": list(providers), "additionalProperties": False}
    schema = _strict({**_EXTRA_FIELDS.get(action, {}), "prompts": prompts})
    schema["title"] = f"media_prompts_{action}"
    return schema


def instructions_block(config: dict[str, Any], providers: list[str]) -> dict[str, Any]:
    """The system block appended after the workflow's own: shared instructions, then one section
    per provider (a provider without its own text is told to use the shared ones)."""
    bodies = config.get("provider_prompts") if isinstance(config.get("provider_prompts"), dict) else {}
    sections = []
    for provider in providers:
        body = bodies.get(provider)
        if not isinstance(body, str) or not body.strip():
            body = f"Use {SHARED_REF}."
        sections.append(f"## Provider: {provider}\nFollow provider-specific output requirements.\n{body}")
    content = "\n\n".join(["## Shared Provider Instructions", str(config.get("shared_prompt") or ""),
                           f"Reference: {SHARED_REF} means 'shared instructions above'.", *sections])
    return {"type": "text", "content": content, "cache_ttl": 10800}


def llm_inputs(config: Any, providers: list[str], action: str, step_id: str, where: str) -> dict[str, Any]:
    """The `api.llm` inputs of the prompt request, from the module's `prompt_config`."""
    if not isinstance(config, dict):
        raise ModuleError(f"{where}: input `prompt_config` must be an object with `user` (the LLM input)",
                          retryable=False)
    user = config.get("user")
    if not isinstance(user, str) or not user.strip():
        raise ModuleError(f"{where}: `prompt_config.user` must be a non-empty text (the LLM input)",
                          retryable=False)
    system = config.get("system")
    system = list(system) if isinstance(system, list) else ([] if system is None else [system])
    ai_config = config.get("ai_config") if isinstance(config.get("ai_config"), dict) else {}
    return {
        "input": user,
        "system": [*system, instructions_block(config, providers)],
        "output_schema": output_schema(action, providers),
        "provider": config.get("provider") or "openai",
        "model": config.get("model"),
        "ai_config": ai_config,
        "metadata": config.get("metadata") or {"step_id": step_id},
    }
