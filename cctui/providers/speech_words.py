"""Word timings for narration captions, from whatever a voice provider gives (pure functions).

A `Word` is a plain dict `{"text", "start", "end"}` (seconds), so it goes into a job's metadata
and through JSON unchanged. Every function here returns words sorted by start, non-negative,
non-overlapping, with their text stripped; `fit_words` (from `cctui.word_timing`, the rules the
render uses too) also keeps them inside the audio.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..word_timing import Word, fit_words, number as _number, tidy as _tidy


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


__all__ = ["Word", "even_words", "fit_words", "words_from_alignment",
           "words_from_transcription"]
