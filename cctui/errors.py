"""The one root of the errors cctui reports to a person.

Every error a creator or a workflow author can act on is a `CctuiError`: its text says what is
wrong (and where), `hint` what to do next, and `retryable` whether trying the same again can
help. The CLI catches this root and prints it; the app shows it; anything else that escapes is a
bug, logged with its traceback and shown as "unexpected". Nothing here imports the rest of cctui.
"""

from __future__ import annotations


class CctuiError(Exception):
    hint: str = ""
    retryable: bool = False

    def __init__(self, *args: object, hint: str | None = None, retryable: bool | None = None):
        super().__init__(*args)
        if hint is not None:
            self.hint = hint
        if retryable is not None:
            self.retryable = retryable

    def report(self) -> str:
        """The text for a person: what is wrong, then what to do (when the text does not say it)."""
        text = str(self).strip()
        hint = self.hint.strip()
        if hint and hint not in text:
            return f"{text}. {hint}" if text and not text.endswith((".", "!", "?", ":")) else f"{text} {hint}".strip()
        return text


__all__ = ["CctuiError"]
