"""The fal.ai image-to-video models cctui offers, each with the input fields it takes.

Every model on fal has its own input schema: the same choice (how long, how wide) is a different
field with different values per model. A `FalModel` turns the form's values into that model's
JSON, and says which values it does not take, before anything is sent.

Sources (fal's model pages, `https://fal.ai/models/<model id>/llms.txt`, read 2026-12-07):
- Wan 2.2 A14B: `image_url`, `prompt`, `num_frames` 17-161 (default 81), `frames_per_second`
  4-60 (default 16), `resolution`, `aspect_ratio`, `negative_prompt`, `seed`; $0.08 / $0.06 /
  $0.04 per video second at 720p / 580p / 480p, "video seconds are calculated at 16 frames per
  second". Unconfirmed: the resolution and aspect_ratio option lists (480p/580p/720p,
  auto/16:9/9:16/1:1) are read from the price line and the field description, not an enum.
- Kling 2.5 Turbo Pro: `prompt`, `image_url`, `duration` "5" | "10" (strings), `negative_prompt`,
  `cfg_scale`; $0.35 for 5 s plus $0.07 for every further second, so $0.07 a second.
- Kling 2.1 Standard: the same fields (fal's Kling image-to-video family); unconfirmed: its
  price of $0.05 a second comes from a third-party price table (fal's page was not found).
  Kling's image-to-video takes no aspect ratio or resolution: the video follows the image, which
  is why the client crops the image to the requested aspect first (unconfirmed for 2.1).
- Veo 3 Fast image-to-video: `prompt`, `image_url`, `aspect_ratio` (default "auto"), `duration`
  (default "8s"), `generate_audio` (default true; off costs a third less), `resolution` 720p |
  1080p. Unconfirmed: durations "4s"/"6s" (documented for the text-to-video Veo 3 Fast only), and
  the price: $0.15 a second with audio, $0.10 without, as documented for `fal-ai/veo3/fast`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

WAN_FPS = 16  # fal bills Wan's seconds at 16 frames per second

PricedAs = Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True)
class FalModel:
    model_id: str
    label: str
    durations: tuple[int, ...]  # seconds the form may ask for
    aspects: tuple[str, ...]  # what the creator may choose; the source is cropped to it
    aspect_field: str | None  # the input field that takes it, or None (the video follows the image)
    resolutions: tuple[str, ...] = ()  # empty: the model takes no resolution
    default_resolution: str | None = None
    duration_field: Callable[[int], dict[str, Any]] = field(default=lambda s: {}, repr=False)
    negative_prompt: bool = False
    seed: bool = False
    extra: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda p: {}, repr=False)
    # The price list entry's suffix for these params ("720p", "no-audio"), None: the model's own.
    price_variant: PricedAs = field(default=lambda p: None, repr=False)

    def resolution(self, params: dict[str, Any]) -> str | None:
        return str(params.get("resolution") or "").strip() or self.default_resolution

    def body(self, params: dict[str, Any], seconds: int, image_url: str) -> dict[str, Any]:
        """The model's input JSON for the form's params (already checked)."""
        body: dict[str, Any] = {"prompt": str(params["prompt"]).strip(), "image_url": image_url}
        body.update(self.duration_field(seconds))
        aspect = str(params.get("aspect_ratio") or "9:16")
        if self.aspect_field:
            body[self.aspect_field] = aspect
        resolution = self.resolution(params)
        if self.resolutions and resolution:
            body["resolution"] = resolution
        negative = str(params.get("negative_prompt") or "").strip()
        if self.negative_prompt and negative:
            body["negative_prompt"] = negative
        seed = params.get("seed")
        if self.seed and seed not in (None, ""):
            body["seed"] = int(seed)
        body.update(self.extra(params))
        return body


def _audio(params: dict[str, Any]) -> bool:
    value = params.get("generate_audio", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)


_KLING = dict(durations=(5, 10), aspects=("9:16", "16:9", "1:1"), aspect_field=None,
              duration_field=lambda s: {"duration": str(s)}, negative_prompt=True)

MODELS: dict[str, FalModel] = {m.model_id: m for m in (
    FalModel("fal-ai/wan/v2.2-a14b/image-to-video", "Wan 2.2 A14B", durations=tuple(range(2, 11)),
             aspects=("9:16", "16:9", "1:1"), aspect_field="aspect_ratio",
             resolutions=("480p", "580p", "720p"), default_resolution="720p",
             duration_field=lambda s: {"num_frames": s * WAN_FPS + 1, "frames_per_second": WAN_FPS},
             negative_prompt=True, seed=True, price_variant=lambda p: str(p.get("resolution") or "720p")),
    FalModel("fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "Kling 2.5 Turbo Pro", **_KLING),
    FalModel("fal-ai/kling-video/v2.1/standard/image-to-video", "Kling 2.1 Standard", **_KLING),
    FalModel("fal-ai/veo3/fast/image-to-video", "Veo 3 Fast", durations=(4, 6, 8),
             aspects=("9:16", "16:9"), aspect_field="aspect_ratio", resolutions=("720p", "1080p"),
             default_resolution="720p", duration_field=lambda s: {"duration": f"{s}s"}, seed=True,
             extra=lambda p: {"generate_audio": _audio(p)},
             price_variant=lambda p: None if _audio(p) else "no-audio"),
)}
DEFAULT_MODEL = "fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
ASPECT_RATIOS = {"9:16": 9 / 16, "16:9": 16 / 9, "1:1": 1.0}


def app_of(model_id: str) -> str:
    """`owner/app` of a model id: fal's status and result URLs use only these two parts."""
    return "/".join(model_id.split("/")[:2])
