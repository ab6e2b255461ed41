"""A workflow's declared results (`cctui.workflow.results`) resolved against a run's state: the
typed items the finish screen shows and the export bundle writes.

Nothing here knows a workflow's state keys; the declaration says where each value is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cctui.media.timeline import OverlayCue, overlay_cues
from cctui.workflow.results import FILE_KINDS, Result, StateValue, TextPart

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ResultItem:
    """One declared result in one run. `value` is a path (file kinds and folders), a text (text,
    markdown) or a list of cues (subtitles); None when the run has not made it (yet)."""

    id: str
    kind: str
    label: str
    value: Any
    exists: bool  # files and folders: on disk; other kinds: a value is there
    export: str | None = None
    show: bool = True
    optional: bool = False
    empty: str | None = None
    note: str = ""
    duration: Any = None  # subtitles: the length the cues are laid out on

    @property
    def is_file(self) -> bool:
        return self.kind in FILE_KINDS

    @property
    def missing_name(self) -> str:
        """How an export lists it when the file is not there: the bundle name without extension."""
        return (self.export or self.id).removesuffix(".*")


def value_at(state: dict[str, Any], ref: StateValue) -> Any:
    value: Any = state.get(ref.state_key)
    for key in ref.keys():
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _first(state: dict[str, Any], refs: list[StateValue]) -> Any:
    """The first value that is set (not None, not empty)."""
    for ref in refs:
        value = value_at(state, ref)
        if value not in (None, "", [], {}):
            return value
    return None


def _part_text(value: Any, part: TextPart) -> str | None:
    if part.format == "hashtags":
        tags = [str(t) for t in value] if isinstance(value, list) else []
        return " ".join(t if t.startswith("#") else f"#{t}" for t in tags) or None
    return value if isinstance(value, str) and value.strip() else None


def _text(state: dict[str, Any], result: Result) -> str | None:
    if not result.parts:
        value = _first(state, [result, *result.fallback])
        return None if value is None else str(value)
    parts = [text for part in result.parts if (text := _part_text(value_at(state, part), part))]
    return "\n\n".join(parts) + "\n" if parts else None


def _cues(value: Any, duration: Any) -> list[OverlayCue] | None:
    """Cues as a render stored them, or plain lines spread over the duration."""
    if not isinstance(value, list):
        return None
    if all(isinstance(c, dict) for c in value):
        return [OverlayCue(int(c.get("index", i)), str(c["text"]), float(c["start"]), float(c["end"]))
                for i, c in enumerate(value)]
    try:
        seconds = float(duration)
    except (TypeError, ValueError):
        return None
    return overlay_cues([str(line) for line in value], seconds) if value and seconds > 0 else None


def _note(state: dict[str, Any], result: Result) -> str:
    if not result.note:
        return ""
    holder = state.get(result.state_key) if result.state_key else None
    holder = holder if isinstance(holder, dict) else {}
    return _FIELD.sub(lambda m: "?" if holder.get(m.group(1)) is None else str(holder[m.group(1)]), result.note)


def resolve(result: Result, state: dict[str, Any]) -> ResultItem:
    common = {"id": result.id, "kind": result.kind, "label": result.label, "export": result.export,
              "show": result.show, "optional": result.optional, "empty": result.empty}
    if result.kind == "subtitles":
        duration = _first(state, result.duration)
        primary = value_at(state, result)
        cues = _cues(primary, duration) if primary is not None else None
        if not cues:
            cues = next((c for ref in result.fallback if (c := _cues(value_at(state, ref), duration))), cues)
        return ResultItem(value=cues, exists=cues is not None, duration=duration, **common)
    if result.kind in ("text", "markdown"):
        text = _text(state, result)
        return ResultItem(value=text, exists=text is not None, **common)
    value = _first(state, [result, *result.fallback])
    path = str(value) if isinstance(value, (str, Path)) and str(value) else None
    exists = path is not None and (Path(path).is_dir() if result.kind == "folder" else Path(path).is_file())
    return ResultItem(value=path, exists=exists, note=_note(state, result) if path else "", **common)


def resolve_all(results: list[Result], state: dict[str, Any]) -> list[ResultItem]:
    return [resolve(result, state) for result in results]


__all__ = ["ResultItem", "resolve", "resolve_all", "value_at"]
