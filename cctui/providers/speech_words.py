"""Word timings for narration captions, from whatever a voice provider gives (pure functions).

A `Word` is a plain dict `{"text", "start", "end"}` (seconds), so it goes into a job's metadata
and through JSON unchanged. Every function here returns words sorted by start, non-negative,
non-overlapping, with their text stripped; `fit_words` also keeps them inside the audio.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, TypedDict


class Word(TypedDict):
    text: str
    start: float
    end: float



def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _spoken(text: str) -> bool:
    """Whether a token has something a voice says (a letter or a digit), not only punctuation."""
    return any(ch.isalnum() for ch in text)


def _tidy(words: Iterable[Word]) -> list[Word]:
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


def words_from_alignment(characters: list[str], starts: list[Any], ends: list[Any]) -> list[Word]:
    """ElevenLabs' character alignment as words: characters up to whitespace make a word (its
    punctuation stays on it), from its first character's start to its last one's end. Empty
    characters and ones without a usable time are skipped; the three lists may differ in length
    (a cut-off answer), the shortest wins."""
    words: list[Word] = []
    text, start, end = "", 0.0, 0.0

    def flush() -> None:
        nonlocal text
        if text:
            words.append(Word(text=text, start=start, end=end))
        text = ""

    for char, s, e in zip(characters, starts, ends):
        char = "" if char is None else str(char)
        if char[:1].isspace():
            flush()
        s, e = _number(s), _number(e)
        if s is None or e is None:
            continue
        # A provider's "character" is now and then several ("a b" after normalising a number).
        for index, part in enumerate(char.split()):
            if index:
                flush()
            if not text:
                start = s
            text += part
            end = max(e, start)
        if char[-1:].isspace():
            flush()
    flush()
    return _tidy(words)


def words_from_transcription(words_json: Iterable[Any] | None) -> list[Word]:
    """OpenAI's verbose transcription words (`{"word", "start", "end"}`, as dicts or the SDK's
    objects) as words; entries without text or usable times are skipped."""
    words: list[Word] = []
    for item in words_json or []:
        get = item.get if isinstance(item, dict) else (lambda name, _item=item: getattr(_item, name, None))
        text = " ".join(str(get("word") or "").split())
        start, end = _number(get("start")), _number(get("end"))
        if text and start is not None and end is not None:
            words.append(Word(text=text, start=start, end=end))
    return _tidy(words)


def even_words(text: str, duration: float, *, lead: float = 0.0) -> list[Word]:
    """The text's words spread over `duration` when no provider said where they are: each gets
    time in proportion to its length (a long word takes longer to say), back to back."""
    tokens = text.split()
    duration = _number(duration) or 0.0
    if not tokens or duration <= lead:
        return []
    weights = [len(t) + 1 for t in tokens]
    per = (duration - lead) / sum(weights)
    words, at = [], lead
    for token, weight in zip(tokens, weights):
        words.append(Word(text=token, start=round(at, 3), end=round(at + weight * per, 3)))
        at += weight * per
    return fit_words(words, duration)


def fit_words(words: Iterable[Word], duration: float) -> list[Word]:
    """Words that lie inside audio of `duration` seconds: one starting at or after the end is
    dropped, one crossing it ends there; times in milliseconds, sorted, non-overlapping."""
    limit = _number(duration)
    if limit is None or limit <= 0:
        return []
    limit = round(limit, 3)
    kept: list[Word] = []
    for word in words:
        start, end = _number(word.get("start")), _number(word.get("end"))
        text = " ".join(str(word.get("text") or "").split())
        if start is None or end is None or not text:
            continue
        start, end = round(max(0.0, start), 3), round(end, 3)
        if start >= limit:
            continue
        kept.append(Word(text=text, start=start, end=min(max(end, start), limit)))
    return _tidy(kept)


__all__ = ["Word", "even_words", "fit_words", "words_from_alignment",
           "words_from_transcription"]
