"""Text plates: readable white text on a rounded, semi-opaque dark box, sized to the frame."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFont

from cctui.media import default_font_size, plate_image, render_plate
from cctui.media.plates import _displayable


def white_box(plate: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of the (opaque, near-white) text pixels."""
    r, g, b, a = plate.split()
    mask = Image.merge("RGB", (r, g, b)).convert("L").point(lambda v: 255 if v > 200 else 0)
    mask = Image.composite(mask, Image.new("L", plate.size, 0), a.point(lambda v: 255 if v > 200 else 0))
    return mask.getbbox()


def test_render_plate_writes_rgba_png(tmp_path):
    out = tmp_path / "plate.png"
    size = render_plate("Caught red-pawed", out, frame_width=1080)
    plate = Image.open(out)
    assert plate.format == "PNG" and plate.mode == "RGBA"
    assert plate.size == size
    w, h = size
    assert w % 2 == 0 and h % 2 == 0
    assert w <= 0.78 * 1080
    assert [p.name for p in tmp_path.iterdir()] == ["plate.png"]  # no temporary file left


def test_plate_look(tmp_path):
    plate = plate_image("Caught red-pawed", frame_width=1080)
    w, h = plate.size
    # Rounded corners: the very corner is transparent, the box itself is a dark, see-through grey.
    assert plate.getpixel((0, 0))[3] == 0
    r, g, b, a = plate.getpixel((6, h // 2))
    assert 0.6 * 255 <= a <= 0.7 * 255
    assert max(r, g, b) < 40
    # White text, centred, with padding around it.
    box = white_box(plate)
    assert box is not None
    x0, y0, x1, y1 = box
    assert abs((x0 + x1) / 2 - w / 2) <= 3
    assert abs((y0 + y1) / 2 - h / 2) <= 0.12 * h
    assert x0 >= 20 and w - x1 >= 20 and y0 >= 10 and h - y1 >= 10
    # Cap height of ~54 px type on a 1080 px frame.
    assert 30 <= y1 - y0 <= 80


def test_font_size_follows_frame_width():
    assert default_font_size(1080) == 54
    big = plate_image("Hello kitty", frame_width=1080)
    small = plate_image("Hello kitty", frame_width=540)
    assert big.height == pytest.approx(2 * small.height, rel=0.12)
    assert big.width == pytest.approx(2 * small.width, rel=0.12)


def test_long_text_wraps_within_the_width():
    one_line = plate_image("Short line", frame_width=1080)
    long = plate_image("When the treats are gone but you still believe in the magic of the fridge door",
                       frame_width=1080)
    assert long.width <= 0.78 * 1080
    assert long.height >= 2 * one_line.height  # three lines
    narrow = plate_image("Short line but narrower", frame_width=1080, max_width_fraction=0.3)
    assert narrow.width <= 0.3 * 1080 + 1


def test_a_word_wider_than_the_plate_is_broken():
    plate = plate_image("Supercalifragilisticexpialidocious" * 2, frame_width=1080, max_width_fraction=0.5)
    assert plate.width <= 0.5 * 1080 + 1


def test_very_long_text_shrinks_instead_of_covering_the_frame():
    text = " ".join(["meow"] * 80)
    plate = plate_image(text, frame_width=1080)
    assert plate.width <= 0.78 * 1080
    assert plate.height < 1920 * 0.5


def test_characters_the_font_lacks_are_folded_not_boxes():
    assert _displayable("Café — naïve 🐶 cat", ImageFont.load_default(size=54)) == "Cafe - naive cat"
    # Pixel-identical to plain text: no "missing glyph" boxes were drawn.
    assert plate_image("Café", frame_width=1080).tobytes() == plate_image("Cafe", frame_width=1080).tobytes()


@pytest.mark.parametrize("text", ["", "   ", "🐶🐾"])
def test_nothing_to_show_is_a_value_error(text):
    with pytest.raises(ValueError):
        plate_image(text, frame_width=1080)


def test_old_pillow_without_scalable_default_font_still_works(monkeypatch):
    """Pillow < 10.1 has no load_default(size=...): a scaled-up bitmap font is used instead."""
    original = ImageFont.load_default

    def old_load_default(*args, **kwargs):
        if args or kwargs:
            raise TypeError("load_default() takes 0 positional arguments")
        return original()

    monkeypatch.setattr(ImageFont, "load_default", old_load_default)
    monkeypatch.delattr(ImageFont, "load_default_imagefont", raising=False)
    plate = plate_image("Caught red-pawed", frame_width=1080)
    assert plate.mode == "RGBA"
    assert 40 <= plate.height <= 200
    assert plate.width <= 0.78 * 1080 + 2
    assert white_box(plate) is not None
