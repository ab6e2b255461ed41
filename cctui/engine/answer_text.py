"""One line of what a creator's answer made, for the run's history: each module may say it better
(`Module.answer_text`); these are the words they share."""

from __future__ import annotations

from typing import Any

from cctui.engine.form_rows import item_label

ANSWER_CHARS = 160


def cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ANSWER_CHARS else text[:ANSWER_CHARS - 1] + "…"


def one_line(value: Any, schema: Any = None) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return item_label(value, schema or {})
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "; ".join(t for t in (one_line(v, schema) for v in value) if t)
    return ""  # positions and paths: the item they point at says more


def outputs_text(outputs: dict[str, Any]) -> str:
    """Each output's text, once."""
    parts: list[str] = []
    for key, value in outputs.items():
        text = "" if str(key).startswith("_") else one_line(value)
        if text and text not in parts:
            parts.append(text)
    if not parts and outputs and all(v in ("", None) for k, v in outputs.items() if not str(k).startswith("_")):
        return "(left empty)"  # an optional text skipped: "(answered)" would suggest something was said
    return cut(" · ".join(parts)) or "(answered)"


def generation_text(chosen: Any) -> str:
    """A generation picked in a media step, by what and whose it is."""
    if not isinstance(chosen, dict):
        return "none chosen"
    what = " from ".join(str(chosen[k]) for k in ("kind", "provider") if chosen.get(k))
    return cut(f"{what or 'generation'} {chosen.get('content_id') or ''}")
