"""A pet photo drawn with Pillow for the tests that upload one: a ginger cat on a blue cushion
by a window, so that a frame of a render made from it can be recognised by eye and by colour."""

from __future__ import annotations

from pathlib import Path

GINGER = (226, 128, 46)
CUSHION = (52, 96, 170)


def draw_pet_photo(path: Path, size: tuple[int, int] = (600, 800)) -> Path:
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", size, (236, 224, 200))  # a warm wall
    d = ImageDraw.Draw(img)
    d.rectangle((w * 0.08, h * 0.06, w * 0.62, h * 0.42), fill=(170, 210, 240), outline=(250, 250, 250), width=8)
    d.ellipse((w * 0.05, h * 0.62, w * 0.95, h * 0.95), fill=CUSHION)
    d.ellipse((w * 0.22, h * 0.48, w * 0.78, h * 0.82), fill=GINGER)  # the body
    d.ellipse((w * 0.32, h * 0.30, w * 0.68, h * 0.56), fill=GINGER)  # the head
    for left in (0.34, 0.56):  # the ears
        d.polygon([(w * left, h * 0.36), (w * (left + 0.05), h * 0.24), (w * (left + 0.10), h * 0.34)], fill=GINGER)
    for eye in (0.41, 0.55):
        d.ellipse((w * eye, h * 0.40, w * (eye + 0.05), h * 0.44), fill=(40, 120, 60))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, quality=92)
    return path
