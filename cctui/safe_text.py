"""Outside text (LLM answers, provider error bodies, the run's state) made safe to show or write.

A terminal obeys control characters wherever they come from: `ESC]52;c;...BEL` writes the
clipboard, `ESC]0;...BEL` the window title, `ESC[2J` clears the screen, and a C1 byte such as
U+009B is read as CSI by some terminals. Textual and Rich pass ESC through, so every string from
outside goes through `clean` before it reaches a widget, the console or an exported text file.
Controls become visible (`␛`, `␇`, `<U+009B>`) rather than vanishing, so that what was sent can
still be seen and reported.
"""

from __future__ import annotations

import re
from typing import Any

LINE_LIMIT = 10_000  # for the UI: a 1 MB line makes every re-layout slow

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
_TABLE[0x7F] = "\u2421"
# C1: no Control Picture exists; the code point is named instead.
_TABLE.update({code: f"<U+{code:04X}>" for code in range(0x80, 0xA0)})
# Bidi embeddings, overrides and isolates make text show in another order than it is read
# ("Trojan Source"); the marks U+200E/U+200F only affect neutral characters and are kept.
_TABLE.update({code: f"<U+{code:04X}>" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str, max_line: int | None = None) -> str:
    """`text` with every control character except newline and tab shown as a visible stand-in,
    and, with `max_line`, every line longer than that cut to `max_line` characters ending in `…`."""
    if not isinstance(text, str):
        text = str(text)
    if _UNSAFE.search(text):
        text = text.translate(_TABLE)
    if max_line is not None and len(text) > max_line:
        text = "\n".join(line if len(line) <= max_line else line[: max_line - 1] + "…"
                          for line in text.split("\n"))
    return text


def clean_deep(value: Any, max_line: int | None = None) -> Any:
    """A copy of `value` with `clean` applied to every string in it, dict keys included;
    anything else (numbers, None, objects) is returned as it is."""
    if isinstance(value, str):
        return clean(value, max_line)
    if isinstance(value, dict):
        return {clean_deep(k, max_line): clean_deep(v, max_line) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_deep(v, max_line) for v in value]
    if type(value) is tuple:
        return tuple(clean_deep(v, max_line) for v in value)
    return value


__all__ = ["clean", "clean_deep", "LINE_LIMIT"]
