"""Reading `_ux` display hints, in both spellings, and finding what a creator selects from.

Both the engine (to check a selection) and the UI (to draw it) use these, so the two always
agree on which list is selectable. Unknown hints are ignored: a display schema is advisory.
"""

from __future__ import annotations

from typing import Any


def ux(schema: Any) -> dict[str, Any]:
    """All `_ux` hints of one schema node: the nested object merged with flat `_ux.x` keys."""
    if not isinstance(schema, dict):
        return {}
    hints = dict(schema.get("_ux") or {}) if isinstance(schema.get("_ux"), dict) else {}
    for key, value in schema.items():
        if key.startswith("_ux."):
            hints[key[4:]] = value
    return hints


def display_mode(schema: Any) -> str:
    """`visible`, `hidden` or `passthrough`; booleans and absence map onto these."""
    value = ux(schema).get("display", "visible")
    if value is True or value == "visible":
        return "visible"
    if value is False or value == "hidden":
        return "hidden"
    if value == "passthrough":
        return "passthrough"
    return "visible"


def find_selectable(schema: Any, data: Any, path: tuple = ()) -> tuple[tuple, list] | None:
    """The (path, list) of the first array whose items are marked selectable, or data itself
    when data is a list."""
    if isinstance(schema, dict):
        if schema.get("type") == "array" or "items" in schema:
            if isinstance(data, list) and ux(schema.get("items")).get("selectable"):
                return path, data
        props = schema.get("properties")
        for name, sub in (props if isinstance(props, dict) else {}).items():
            if isinstance(data, dict) and name in data:
                found = find_selectable(sub, data[name], path + (name,))
                if found:
                    return found
    if path == () and isinstance(data, list):
        return (), data
    return None


def media_tabs(schema: Any) -> dict[str, dict[str, Any]]:
    """Properties rendered as `tab.media`, keyed by tab key, in schema order."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    return {k: v for k, v in props.items() if media_render(ux(v).get("render_as"))}


def media_render(value: Any) -> bool:
    """`tab.media`, also with the seed's siblings: `tab.media[input_schema,image_generation]`."""
    return isinstance(value, str) and (value == "tab.media" or value.startswith("tab.media["))


# A media tab whose provider is the creator: it takes a file of theirs (`_ux.extensions`, pictures by
# default) instead of a form, and sends nothing anywhere. The file becomes a finished generation, so
# it is chosen, and used by the steps after, exactly like a generated one.
OWN_FILE_PROVIDER = "you"
OWN_FILE_EXTENSIONS = ("png", "jpg", "jpeg", "webp")


def is_own_file_tab(tab_schema: Any) -> bool:
    return ux(tab_schema).get("provider") == OWN_FILE_PROVIDER


def own_file_extensions(tab_schema: Any) -> list[str]:
    """The extensions an own-file tab takes, as `.png`."""
    given = ux(tab_schema).get("extensions")
    return allowed_extensions(given if isinstance(given, list) and given else OWN_FILE_EXTENSIONS)


def allowed_extensions(values: Any) -> list[str]:
    """`["png", ".JPG"]` -> `[".png", ".jpg"]`; empty: any file."""
    return [("." + str(e).lstrip(".")).lower() for e in values or []]
