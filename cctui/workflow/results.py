"""What a workflow declares as its results: the files, media and texts its finish screen shows
and its export bundle holds, each found in the run's state by key (and a path inside the value).

Clients read results through this declaration, never by a workflow's state key names, so a
workflow that renames a key changes its declaration and `cctui validate` checks the two agree.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Kinds whose value is the path of a file on disk.
FILE_KINDS = ("video", "image", "audio", "file")
# `text` is plain text (copied with `y` on the finish screen), `markdown` is shown rendered,
# `subtitles` are timed lines (cues with start/end, or lines spread over `duration`), and a
# `folder` is a place on disk that is shown but not exported.
ResultKind = Literal["video", "image", "audio", "file", "text", "markdown", "subtitles", "folder"]
EXPORT_NAME = re.compile(r"[\w-]+(\.\*|\.\w+)")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateValue(_Model):
    """A value in the run's state: `state_key`, then `path` (dot-separated keys) inside it."""

    state_key: str
    path: str | None = None

    def keys(self) -> list[str]:
        return self.path.split(".") if self.path else []


class TextPart(StateValue):
    # `hashtags`: a list of words joined as `#a #b`; `text`: a non-empty string, else nothing.
    format: Literal["text", "hashtags"] = "text"


class Result(StateValue):
    id: str = Field(pattern=r"^[\w-]+$")
    kind: ResultKind
    label: str
    # Tried in order when the value at state_key/path is missing or empty.
    fallback: list[StateValue] = Field(default_factory=list)
    # A text made of several values, joined by blank lines; then state_key/path is not used.
    parts: list[TextPart] = Field(default_factory=list)
    # subtitles: the length of the video the lines are timed over (the first one set counts).
    duration: list[StateValue] = Field(default_factory=list)
    # A short line beside a file on the finish screen; `{name}` is a field of the value at
    # state_key (e.g. "{width}x{height}, {duration} s").
    note: str | None = None
    # The file name in the export bundle; `name.*` keeps the file's own extension. None: not exported.
    export: str | None = None
    show: bool = True  # on the finish screen
    optional: bool = False  # not listed as missing from an export when absent
    empty: str | None = None  # what the finish screen says when there is no value yet

    # `state_key` may be left out only for a text made of `parts`.
    state_key: str | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _one_source(self) -> "Result":
        if self.parts and self.kind != "text":
            raise ValueError("parts make a text: use them with kind \"text\"")
        if not self.parts and not self.state_key:
            raise ValueError("a result needs state_key (where its value is in the state), or parts for a text")
        if self.export and not EXPORT_NAME.fullmatch(self.export):
            raise ValueError(f"export name {self.export!r}: give a plain file name of letters, digits, _ and -, "
                             "with .ext, or .* for the file's own extension (final.*, captions.txt)")
        if self.export and self.export.endswith(".*") and self.kind not in FILE_KINDS:
            raise ValueError(f"export name {self.export!r}: `.*` (the file's own extension) is for files; "
                             f"give a {self.kind} result a full name such as captions.txt")
        if self.export and self.kind == "folder":
            raise ValueError("a folder is shown on the finish screen, not exported: leave out export")
        return self

    def sources(self) -> list[tuple[tuple, StateValue]]:
        """Every state value this result reads, with its place in the declaration."""
        out: list[tuple[tuple, StateValue]] = []
        if self.state_key:
            out.append(((), self))
        for field in ("fallback", "parts", "duration"):
            out += [((field, i), value) for i, value in enumerate(getattr(self, field))]
        return out

    def export_stem(self) -> str | None:
        return self.export[:-2] if self.export and self.export.endswith(".*") else self.export


__all__ = ["Result", "StateValue", "TextPart", "FILE_KINDS", "ResultKind"]
