"""Text plates: white text on a rounded, semi-opaque dark box, as transparent PNGs for ffmpeg.

Text is drawn with Pillow rather than ffmpeg's drawtext so that no system font is needed: the
font is the one Pillow bundles (scalable since Pillow 10.1), or one the caller passes. A dark box
under the text keeps it readable over any footage, bright or busy.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from cctui.media.files import part_path

PLATE_RGBA = (12, 12, 12, 168)  # alpha 0.66: the footage still shows through, the text stays legible
TEXT_RGBA = (255, 255, 255, 255)
MAX_LINES = 4
MIN_SHRINK = 0.6
_BITMAP_SIZE = 11  # rough pixel size of Pillow's old built-in bitmap font

# Typographic characters the bundled font lacks, spelled with ones it has.
_PLAIN = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "-",
                        "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'"})


def default_font_size(frame_width: int) -> int:
    """About 54 px on a 1080 px wide frame: large enough to read on a phone at a glance."""
    return max(12, round(frame_width * 0.05))


def _scalable_font(size: int, font_path: str | Path | None):
    if font_path:
        return ImageFont.truetype(str(font_path), size)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no size argument, only a small bitmap font
        return None
    return font if isinstance(font, ImageFont.FreeTypeFont) else None


def _bitmap_font():
    loader = getattr(ImageFont, "load_default_imagefont", None)
    return loader() if loader else ImageFont.load_default()


def _displayable(text: str, font) -> str:
    """Text with characters the font has no glyph for folded to plain ones (é -> e) or dropped.

    The bundled font covers little beyond ASCII, and a missing glyph would show as a box.
    """
    text = " ".join(text.translate(_PLAIN).split(" "))
    if not isinstance(font, ImageFont.FreeTypeFont):
        has = lambda ch: ch.isascii()  # noqa: E731 - the bitmap font is Latin-1 at best
    else:
        missing = bytes(font.getmask("\U0010fffd"))
        has = lambda ch: ch.isspace() or bytes(font.getmask(ch)) != missing  # noqa: E731
    out = []
    for ch in text:
        if ch == "\n" or has(ch):
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in plain if c != ch and has(c)))
    return "\n".join(" ".join(line.split()) for line in "".join(out).split("\n")).strip()


def _wrap(text: str, font, max_width: float, stroke: int) -> list[str]:
    def width(s: str) -> float:
        return font.getlength(s) + 2 * stroke

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            while width(word) > max_width and len(word) > 1:  # a word wider than the plate: break it
                cut = len(word) - 1
                while cut > 1 and width(word[:cut]) > max_width:
                    cut -= 1
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{line} {word}" if line else word
            if line and width(candidate) > max_width:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
    return lines or [""]


def _even(n: float) -> int:
    # Even sizes land on whole chroma samples once overlaid on a yuv420p frame.
    n = int(round(n))
    return n + (n % 2)


def _draw(lines: list[str], font, size: int, stroke: int) -> Image.Image:
    pad_x, pad_y = round(size * 0.6), round(size * 0.42)
    line_h = round(size * 1.25)
    text_w = max(font.getlength(line) for line in lines) + 2 * stroke
    # Line spacing is only needed between lines: half of it is taken back from the box height.
    w, h = _even(text_w + 2 * pad_x), _even(len(lines) * line_h + 2 * pad_y - (line_h - size) * 0.5)
    plate = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=round(size * 0.45), fill=PLATE_RGBA)
    block_top = (h - len(lines) * line_h) / 2
    for i, line in enumerate(lines):
        y = block_top + (i + 0.5) * line_h
        if isinstance(font, ImageFont.FreeTypeFont):
            # A thin stroke in the text colour reads as a semi-bold weight, which holds up better on phones.
            draw.text((w / 2, y), line, font=font, fill=TEXT_RGBA, anchor="mm",
                      stroke_width=stroke, stroke_fill=TEXT_RGBA)
        else:  # bitmap fonts take no anchor
            left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
            draw.text(((w - (right - left)) / 2 - left, y - (bottom - top) / 2 - top), line, font=font,
                      fill=TEXT_RGBA)
    return plate


def plate_image(text: str, *, frame_width: int, max_width_fraction: float = 0.78, font_size: int | None = None,
                font_path: str | Path | None = None) -> Image.Image:
    """The plate as an RGBA image, at most `max_width_fraction` of the frame wide.

    ValueError when there is nothing to show: blank text, or only characters the font lacks.
    """
    if frame_width <= 0:
        raise ValueError(f"frame_width must be positive, not {frame_width}")
    if not text.strip():
        raise ValueError("a plate needs some text")
    size = font_size or default_font_size(frame_width)
    max_plate_w = frame_width * max_width_fraction
    font = _scalable_font(size, font_path)
    if font is None:
        # Lay the plate out at the bitmap font's own size, then scale the whole plate up.
        scale = size / _BITMAP_SIZE
        bitmap = _bitmap_font()
        shown = _displayable(text, bitmap)
        if not shown:
            raise ValueError(f"the font has none of the characters of {text!r}")
        lines = _wrap(shown, bitmap, max_plate_w / scale - 2 * round(_BITMAP_SIZE * 0.6), 0)
        small = _draw(lines, bitmap, _BITMAP_SIZE, 0)
        return small.resize((_even(small.width * scale), _even(small.height * scale)), Image.LANCZOS)
    shown = _displayable(text, font)
    if not shown:
        raise ValueError(f"the font has none of the characters of {text!r}")
    current = size
    while True:
        stroke = max(1, round(current / 50))
        lines = _wrap(shown, font, max_plate_w - 2 * round(current * 0.6), stroke)
        if len(lines) <= MAX_LINES or current <= size * MIN_SHRINK:
            return _draw(lines, font, current, stroke)
        # A long line: smaller type beats a plate that covers half the picture.
        current = max(round(size * MIN_SHRINK), round(current * 0.9))
        font = _scalable_font(current, font_path)


def render_plate(text: str, out_path: str | Path, *, frame_width: int, max_width_fraction: float = 0.78,
                 font_size: int | None = None, font_path: str | Path | None = None) -> tuple[int, int]:
    """Write the plate for `text` as an RGBA PNG at out_path; returns its (width, height) in pixels."""
    out_path = Path(out_path)
    plate = plate_image(text, frame_width=frame_width, max_width_fraction=max_width_fraction,
                        font_size=font_size, font_path=font_path)
    tmp = part_path(out_path)
    try:
        plate.save(tmp, format="PNG")
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return plate.size
