"""Captions for the narration: word timings fitted to the video, grouped into short phrases, and
written as SubRip (for the export) or as an ASS script that libass burns into the video.

libass draws with the font Pillow bundles (the one the overlay plates use), copied into the
render's work folder and handed to the `ass` filter as its fonts folder, so no system font is
needed. The word-by-word style is one Dialogue line per word, each showing the whole phrase with
that word recoloured: plain override tags that every libass renders the same way, where karaoke
(`\\k`) timing would depend on the player filling syllables as intended.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from PIL import ImageFont

from cctui.media.layout import safe_area
from cctui.media.plates import _displayable
from cctui.media.timeline import to_srt
from cctui import word_timing

CAPTION_STYLES = ("words", "phrases", "off")
TEXT_COLOUR = "&H00FFFFFF"  # ASS colours are &HAABBGGRR, alpha 00 opaque
HIGHLIGHT_BGR = "3FD2FF"  # warm yellow (#FFD23F): the word being spoken
OUTLINE_COLOUR = "&H00000000"
SENTENCE_END = (".", "!", "?", "…")
LINES = 2  # a phrase of a few words fits on two lines at the caption size


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Phrase:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


WordLike = Union[Word, Mapping[str, Any]]


def as_words(items: Iterable[WordLike] | None) -> list[Word]:
    """Words from Word objects or {"text", "start", "end"} dicts; ValueError saying which one is wrong."""
    words = []
    for n, item in enumerate(items or []):
        try:
            text, start, end = ((item.text, item.start, item.end) if isinstance(item, Word)
                                else (item["text"], item["start"], item["end"]))
            start, end = float(start), float(end)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"word {n} must have text, start and end (seconds), not {item!r}") from None
        if not (math.isfinite(start) and math.isfinite(end)) or end < start:
            raise ValueError(f"word {n} ({text!r}) must end at or after it starts, not {start!r}..{end!r}")
        words.append(Word(str(text), start, end))
    return words


def fit_words(words: Iterable[WordLike] | None, duration: float) -> list[Word]:
    """The words that show within 0..duration, by the rules the voice clients fitted them to
    their audio with (`cctui.word_timing`): sorted, an overlap ends the earlier word where the
    later is heard, a word crossing the end is cut there and one after it is dropped."""
    given = [{"text": w.text, "start": w.start, "end": w.end} for w in as_words(words)]
    return [Word(w["text"], w["start"], w["end"]) for w in word_timing.fit_words(given, duration)]


def phrases(words: Iterable[WordLike], max_words: int = 4, max_gap: float = 0.6) -> list[Phrase]:
    """Consecutive words grouped for reading: at most max_words, split at pauses over max_gap
    seconds and after a sentence ends."""
    groups: list[list[Word]] = []
    for w in as_words(words):
        last = groups[-1][-1] if groups else None
        if (last is None or len(groups[-1]) >= max_words or w.start - last.end > max_gap
                or last.text.endswith(SENTENCE_END)):
            groups.append([w])
        else:
            groups[-1].append(w)
    return [Phrase(tuple(g)) for g in groups]


def srt_text(items: Iterable[Word | Phrase]) -> str:
    """SubRip text of words or phrases: numbered blocks, `00:00:01,250 --> 00:00:01,900`."""
    return to_srt(list(items))


def ass_time(seconds: float) -> str:
    """`H:MM:SS.cc`. Rounded down, so an end time never lands past the video's last frame."""
    cs = max(0, math.floor(seconds * 100 + 1e-6))
    h, cs = divmod(cs, 360_000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def caption_font_size(width: int) -> int:
    """About 65 px on a 1080 px wide frame: a little larger than the plates, read while listening."""
    return max(12, round(width * 0.06))


def caption_outline(font_size: int) -> int:
    return max(1, round(font_size * 0.08))


def band_height(font_size: int, lines: int = LINES) -> int:
    """Rows a caption of `lines` lines takes, outline included (libass lines are ~1.2 font sizes)."""
    return math.ceil(font_size * 1.2 * lines + 2 * caption_outline(font_size))


def bundled_font(folder: Path) -> tuple[Path, str] | None:
    """Write the font Pillow bundles into folder; (its path, its family name), or None when this
    Pillow has none (before 10.1), and libass falls back on whatever fontconfig finds."""
    try:
        font = ImageFont.load_default(size=20)
    except TypeError:
        return None
    data = getattr(font, "font_bytes", None)
    if not isinstance(font, ImageFont.FreeTypeFont) or not data:
        return None
    family = font.getname()[0] or "sans-serif"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{family.lower().replace(' ', '-')}.ttf"
    path.write_bytes(data)
    return path, family


def _shown(text: str) -> str:
    """Text the bundled font can draw, with ASS's override braces and backslashes made harmless."""
    text = _displayable(text, _glyph_font())
    return text.replace("\\", "/").replace("{", "(").replace("}", ")").replace("\n", " ")


@functools.lru_cache(maxsize=1)
def _glyph_font():
    try:
        return ImageFont.load_default(size=20)
    except TypeError:  # Pillow < 10.1: its bitmap font stands in for the ASCII test
        return ImageFont.load_default()


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{ass_time(start)},{ass_time(end)},Caption,,0,0,0,,{text}"


def _events(groups: list[Phrase], style: str) -> list[str]:
    events = []
    for p in groups:
        shown = [_shown(w.text) for w in p.words]
        if style == "phrases":
            events.append(_dialogue(p.start, p.end, " ".join(t for t in shown if t)))
            continue
        for i, w in enumerate(p.words):
            if not shown[i]:
                continue
            # The phrase stays up through the pauses between its words: the highlight moves on at
            # the next word's start, and the last word stays lit until the phrase ends.
            end = p.words[i + 1].start if i + 1 < len(p.words) else p.end
            text = " ".join(f"{{\\c&H{HIGHLIGHT_BGR}&}}{t}{{\\r}}" if j == i else t
                            for j, t in enumerate(shown) if t)
            events.append(_dialogue(p.start if i == 0 else w.start, end, text))
    return events


def ass_text(words: Iterable[WordLike], width: int, height: int, *, style: str = "words",
             font_name: str = "Aileron", font_size: int | None = None, margin_v: int | None = None,
             max_words: int = 4, max_gap: float = 0.6) -> str:
    """An ASS script for a width x height frame: phrases centred at the bottom of a band that ends
    margin_v rows above the frame's bottom (default: the safe area's bottom), wrapping inside the
    safe area across; "words" lights up each word as it is spoken, "phrases" shows phrases plain."""
    if style not in ("words", "phrases"):
        raise ValueError(f"caption style must be words or phrases, not {style!r}")
    size = font_size or caption_font_size(width)
    x0, _, x1, y1 = safe_area(width, height)
    margin_v = height - y1 if margin_v is None else margin_v
    header = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "ScaledBorderAndShadow: yes", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{font_name},{size},{TEXT_COLOUR},&H00{HIGHLIGHT_BGR},{OUTLINE_COLOUR},&H80000000,"
        f"0,0,0,0,100,100,0,0,1,{caption_outline(size)},0,2,{x0},{width - x1},{margin_v},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    groups = phrases(words, max_words=max_words, max_gap=max_gap)
    return "\n".join(header + _events(groups, style)) + "\n"
