"""What cctui's media clients offer a generation form, which providers they cannot serve, and how
a form's values are put into the parameters each client reads.

A seed-format display schema takes a select's options from the prompt data
(`_ux.enum_source: "_provider_metadata.models"`); those options are the ones listed here, built
from the clients' own constants, so a creator can only pick what the client can send. A name a
client has no option for (Leonardo's `scheduler`, OpenAI's `background`) gets none: cctui
would not send it.
"""

from __future__ import annotations

from typing import Any

from .elevenlabs import MAX_MS, MIN_MS
from .leonardo import ASPECT_DIMENSIONS, MAX_IMAGES as LEONARDO_MAX_IMAGES, RESOLUTIONS, VIDEO_MODELS
from .openai_images import ASPECT_SIZES, MAX_IMAGES as OPENAI_MAX_IMAGES, QUALITIES
from .registry import MEDIA_ROUTES

# Leonardo platform models the txt2img client can name (`model_id`); the first is its default.
LEONARDO_IMAGE_MODELS = {
    "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3": "Leonardo Phoenix 1.0",
    "6b645e3a-d64f-4341-a6d8-7a3690fbf042": "Leonardo Phoenix 0.9",
    "aa77f04e-3eec-4034-9c07-d0f619684628": "Leonardo Kino XL",
    "b24e16ff-06e3-43eb-8d33-4416c2d75876": "Leonardo Lightning XL",
    "5c232a9e-9061-4777-980a-ddc8e65647c6": "Leonardo Vision XL",
}

# Actions named differently by the seed format and by cctui's routes.
ACTION_ROUTES = {"txt2audio": "txt2music"}

# Routes that exist in cctui but whose provider API is gone.
RETIRED = {
    ("openai", "img2vid"): "OpenAI retired its Sora 2 video API on 2026-09-24, so cctui cannot make videos "
                           "with it. Copy the prompt, or generate in another tab.",
}

_NO_API = {
    "midjourney": "Midjourney has no public API, so cctui cannot generate with it. Copy the prompt into "
                  "Midjourney yourself.",
    "stable_diffusion": "cctui has no Stable Diffusion client. Copy the prompts into your own Stable "
                        "Diffusion setup.",
}

# Form names that differ from what a client reads, by (provider, route action).
_RENAMED = {("elevenlabs", "txt2music"): {"duration_seconds": "duration"}}
# Values a select sends as text ("4") that the clients take as whole numbers.
_WHOLE = ("num_images", "n", "duration", "guidance_scale", "num_inference_steps", "motion_strength")


def route_action(action: str) -> str:
    """cctui's route action for a seed action (`txt2audio` is ElevenLabs music, `txt2music`)."""
    return ACTION_ROUTES.get(action, action)


def unavailable(provider: str, action: str) -> str | None:
    """Why cctui cannot generate `action` with `provider` (None: it can)."""
    action = route_action(action)
    if (provider, action) in RETIRED:
        return RETIRED[(provider, action)]
    if (provider, action) in MEDIA_ROUTES:
        return None
    return _NO_API.get(provider) or (f"cctui has no client that makes {action} with {provider}. Copy the "
                                     f"prompt and use the provider yourself.")


def _options(pairs) -> list[dict[str, str]]:
    return [{"key": str(key), "label": str(label)} for key, label in pairs]


def offers(provider: str, action: str) -> dict[str, list[dict[str, Any]]]:
    """The option lists a form's selects may take (`{key, label}` items), by option name."""
    action = route_action(action)
    if unavailable(provider, action):
        return {}
    if (provider, action) == ("leonardo", "txt2img"):
        return {
            "models": _options(LEONARDO_IMAGE_MODELS.items()),
            "aspect_ratio": _options((a, f"{a} ({w}x{h})") for a, (w, h) in ASPECT_DIMENSIONS.items()),
            "num_images": _options((str(n), str(n)) for n in range(1, LEONARDO_MAX_IMAGES + 1)),
        }
    if (provider, action) == ("leonardo", "img2vid"):
        return {
            "models": _options((m, m) for m in VIDEO_MODELS),
            "resolution": _options((value, label) for label, value in RESOLUTIONS.items()),
        }
    if (provider, action) == ("openai", "txt2img"):
        return {
            "aspect_ratio": _options((a, f"{a} ({s})") for a, s in ASPECT_SIZES.items()),
            "quality": _options((q, q) for q in QUALITIES),
            "num_images": _options((str(n), str(n)) for n in range(1, OPENAI_MAX_IMAGES + 1)),
        }
    if (provider, action) == ("elevenlabs", "txt2music"):
        return {"duration": _options((s, f"{s} s") for s in (MIN_MS // 1000, 15, 30, 60, 120, MAX_MS // 1000))}
    return {}


def client_params(provider: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
    """A form's checked values as the client for (provider, action) reads them."""
    renamed = _RENAMED.get((provider, route_action(action)), {})
    params: dict[str, Any] = {}
    for name, value in values.items():
        name = renamed.get(name, name)
        if name in _WHOLE and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        params[name] = value
    return params
