"""Frame sizes, the platform-safe area and where plates go."""

from __future__ import annotations

import pytest

from cctui.media import MediaError, plate_position, safe_area, target_size


@pytest.mark.parametrize("aspect, size", [
    (None, (1080, 1920)), ("", (1080, 1920)), ("9:16", (1080, 1920)), ("16:9", (1920, 1080)),
    ("1:1", (1080, 1080)), ("4:5", (1080, 1350)), (" 16:9 ", (1920, 1080)),
    ("720x1280", (1080, 1920)), ("1920x1080", (1920, 1080)), ("1024x1024", (1080, 1080)),
    ("864x1080", (1080, 1350)), ("832x480", (1920, 1080)), ("480x832", (1080, 1920)), ("3:4", (1080, 1350)),
])
def test_target_size(aspect, size):
    assert target_size(aspect) == size


@pytest.mark.parametrize("aspect", ["banana", "16:0", "x", "0x100"])
def test_target_size_rejects_nonsense(aspect):
    with pytest.raises(MediaError, match="aspect"):
        target_size(aspect)


def test_safe_area_portrait_keeps_clear_of_platform_ui():
    x0, y0, x1, y1 = safe_area(1080, 1920)
    assert x0 == pytest.approx(0.06 * 1080, abs=1) and 1080 - x1 == pytest.approx(0.06 * 1080, abs=1)
    assert y0 == pytest.approx(0.14 * 1920, abs=1)
    assert 1920 - y1 == pytest.approx(0.22 * 1920, abs=1)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080), (1080, 1350), (720, 1280)])
def test_safe_area_is_inside_the_frame(size):
    w, h = size
    x0, y0, x1, y1 = safe_area(w, h)
    assert 0 < x0 < x1 < w and 0 < y0 < y1 < h
    assert x1 - x0 >= 0.78 * w  # a full-width plate always fits across


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080), (1080, 1350)])
@pytest.mark.parametrize("plate", [(300, 108), (842, 244), (842, 400)])
def test_plate_is_centred_low_and_inside_the_safe_area(size, plate):
    w, h = size
    pw, ph = plate
    x0, y0, x1, y1 = safe_area(w, h)
    x, y = plate_position(pw, ph, w, h)
    assert x0 <= x and x + pw <= x1 and y0 <= y and y + ph <= y1
    assert abs((x + pw / 2) - w / 2) <= 2
    assert y + ph / 2 > (y0 + y1) / 2  # lower half of the safe area
    assert x % 2 == 0 and y % 2 == 0
