"""Pictures that weigh what a photo does: the stand-in's flat drawings with grain added."""

from __future__ import annotations

from PIL import Image


def photo_like(image: Image.Image) -> Image.Image:
    """The drawing with grain, so its PNG (or a video panning over it) weighs what a generated photo
    does, a few MB, not 25 KB: decoding and encoding are part of what is measured."""
    grain = Image.merge("RGB", [Image.effect_noise(image.size, 40) for _ in range(3)])
    return Image.blend(image.convert("RGB"), grain, 0.3)
