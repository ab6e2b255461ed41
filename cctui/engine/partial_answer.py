"""An LLM's JSON answer read while it streams in, handed on at most a few times a second.

The text so far is parsed as partial JSON (`jiter`, the parser pydantic brings): a string cut
mid-way is kept as far as it goes, a number or a key cut mid-way is left out until it is whole.
Only what can be shown is passed on (an object, and only when it changed); the whole answer is
checked and stored by the module as before, this is for the eyes only.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import jiter

# A screen redrawn more often than this only flickers; a model writes ~50 tokens a second.
MIN_INTERVAL = 0.1  # seconds


class PartialAnswers:
    """Call with the answer's text so far; `emit` gets the parsed object, throttled."""

    def __init__(self, emit: Callable[[dict[str, Any]], None], *, interval: float = MIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self.emit = emit
        self.interval = interval
        self.clock = clock
        self._last_at: float | None = None
        self._last: dict[str, Any] | None = None

    def __call__(self, text: str) -> None:
        now = self.clock()
        if self._last_at is not None and now - self._last_at < self.interval:
            return
        data = parse_partial(text)
        if data is None or data == self._last:
            return
        self._last_at, self._last = now, data
        self.emit(data)


def parse_partial(text: str) -> dict[str, Any] | None:
    """The object the beginning of a JSON text promises so far, or None (nothing readable yet)."""
    try:
        value = jiter.from_json(text.encode("utf-8"), partial_mode="trailing-strings")
    except ValueError:
        return None
    return value if isinstance(value, dict) and value else None
