"""Word timings, shared by the voice clients (fitting words to their audio) and the render
(fitting them to the video): one set of rules for sorting, overlaps and the end.

A word is a plain dict `{"text", "start", "end"}` (seconds). Nothing here imports the rest of
cctui, so both the providers and the media layer may use it.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, TypedDict


class Word(TypedDict):
    text: str
    start: float
    end: float


def number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _spoken(text: str) -> bool:
    """Whether a token has something a voice says (a letter or a digit), not only punctuation."""
    return any(ch.isalnum() for ch in text)


def tidy(words: Iterable[Word]) -> list[Word]:
    """Sorted, non-negative, non-overlapping words; a token of punctuation alone ("—", "...")
    joins the word before it, so a caption never shows a lone dash."""
    ordered = sorted((w for w in words if w["text"]), key=lambda w: (w["start"], w["end"]))
    out: list[Word] = []
    for word in ordered:
        start = max(0.0, word["start"])
        end = max(start, word["end"])
        if out and not _spoken(word["text"]):
            out[-1] = Word(text=f"{out[-1]['text']} {word['text']}", start=out[-1]["start"],
                           end=max(out[-1]["end"], min(end, start + 0.25)))
            continue
        if out and start < out[-1]["end"]:
            if start > out[-1]["start"]:
                # Providers overlap neighbours by a few ms: the later word starts where it is heard.
                out[-1] = Word(text=out[-1]["text"], start=out[-1]["start"], end=start)
            else:
                # Same start: one caption word for both rather than one that never shows.
                out[-1] = Word(text=f"{out[-1]['text']} {word['text']}", start=out[-1]["start"],
                               end=max(out[-1]["end"], end))
                continue
        out.append(Word(text=word["text"], start=start, end=end))
    out = [Word(text=w["text"], start=round(w["start"], 3), end=round(w["end"], 3)) for w in out]
    if out and not _spoken(out[0]["text"]) and len(out) > 1:
        # Punctuation before the first spoken word belongs to it.
        first, second = out[0], out[1]
        out[:2] = [Word(text=f"{first['text']} {second['text']}", start=first["start"], end=second["end"])]
    return out


def fit_words(words: Iterable[Mapping[str, Any]], duration: float) -> list[Word]:
    """Words that lie inside audio of `duration` seconds: one starting at or after the end is
    dropped, one crossing it ends there; times in milliseconds, sorted, non-overlapping."""
    limit = number(duration)
    if limit is None or limit <= 0:
        return []
    limit = round(limit, 3)
    kept: list[Word] = []
    for word in words:
        start, end = number(word.get("start")), number(word.get("end"))
        text = " ".join(str(word.get("text") or "").split())
        if start is None or end is None or not text:
            continue
        start, end = round(max(0.0, start), 3), round(end, 3)
        if start >= limit:
            continue
        kept.append(Word(text=text, start=start, end=min(max(end, start), limit)))
    return tidy(kept)


__all__ = ["Word", "fit_words", "number", "tidy"]
