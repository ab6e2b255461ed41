"""A seed-format V2 display schema and its LLM answer, turned into what cctui's media view and
`Run.sub_action` read: `schema.properties[tab]` (each `render_as: tab.media`, with its
`input_schema` made of plain fields) and `prompts[tab]` (the node's data).

The seed's forms take options from the data (`enum_source`), from object enums (`value_key`,
`label_key`) and from another field's chosen option (`controls`); here each becomes a plain
`enum` with `enum_labels`, read once. A select left with no option is a setting cctui's client
does not take, and is left out of the form.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from cctui.engine.ux import media_render, ux

_MEDIA_KIND = {"txt2img": "image", "img2vid": "video", "txt2audio": "audio"}
# The field a default display schema fills the prompt box from, by (action, provider).
_PROMPT_FIELD = {("img2vid", "leonardo"): "positive_prompt", ("txt2img", "stable_diffusion"): "tag_prompt"}


def is_media_tab(schema: Any) -> bool:
    return media_render(ux(schema).get("render_as"))


def default_schema(providers: list[str], action: str) -> dict[str, Any]:
    """The seed's default: the prompts as tabs, one media tab per provider whose prompt box
    starts from its prompt (music: one tab per generated option)."""
    kind = _MEDIA_KIND.get(action, "image")

    def tab(provider: str) -> dict[str, Any]:
        source = _PROMPT_FIELD.get((action, provider), "prompt")
        return {"type": "object", "_ux": {
            "display": "visible", "tab_label": provider.replace("_", " ").title(), "provider": provider,
            "render_as": f"tab.media[input_schema,{kind}_generation]",
            "input_schema": {"type": "object", "properties": {"_text": {
                "type": "string", "title": "Prompt", "destination_field": "prompt",
                "_ux": {"input_type": "textarea", "rows": 4, "col_span": "full", "source_field": source}}}}}}

    if action == "txt2audio":
        music = tab(providers[0])
        music["_ux"]["tab_label_field"] = "name"
        prompts = {p: {"type": "object", "_ux": {"display": "passthrough"}, "properties": {
            "data": {"type": "array", "_ux": {"render_as": "tabs", "tab_label_field": "name"}, "items": music}}}
            for p in providers}
        return {"type": "object", "_ux": {"display": "passthrough"}, "properties": {
            "prompts": {"type": "object", "_ux": {"display": "passthrough"}, "properties": prompts}}}
    return {"type": "object", "_ux": {"display": "passthrough"}, "properties": {
        "prompts": {"type": "object", "_ux": {"display": "visible", "render_as": "tabs"},
                    "properties": {p: tab(p) for p in providers}}}}


def _dig(data: Any, path: str) -> Any:
    for part in str(path).split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _tab_nodes(schema: Any, data: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """(tab key, tab schema, tab data) of each media tab under the first `render_as: tabs` node
    that holds data, depth first."""
    if not isinstance(schema, dict) or data is None:
        return []
    hints = ux(schema)
    if hints.get("render_as") == "tabs":
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        found = [(key, sub, data.get(key)) for key, sub in props.items()
                 if isinstance(data, dict) and isinstance(data.get(key), dict) and is_media_tab(sub)]
        items = schema.get("items")
        if isinstance(data, list) and is_media_tab(items):
            provider = ux(items).get("provider") or "media"
            found += [(f"{provider}_{i + 1}", items, item) for i, item in enumerate(data) if isinstance(item, dict)]
        if found:
            label_field = hints.get("tab_label_field")
            return [(key, _with_parent_label(sub, label_field), node) for key, sub, node in found]
    props = schema.get("properties")
    for key, sub in (props if isinstance(props, dict) else {}).items():
        if isinstance(sub, dict) and isinstance(data, dict) and key in data:
            found = _tab_nodes(sub, data[key])
            if found:
                return found
    return []


def _with_parent_label(schema: dict[str, Any], label_field: Any) -> dict[str, Any]:
    if not label_field or ux(schema).get("tab_label_field"):
        return schema
    return {**schema, "_ux": {**(schema.get("_ux") or {}), "tab_label_field": label_field}}


def _option_lists(options: list[Any], value_key: Any, label_key: Any) -> tuple[list[Any], dict[str, str]]:
    values, labels = [], {}
    for option in options:
        if isinstance(option, dict):
            value = option.get(value_key or "key", option.get("value"))
            if value is None:
                continue
            label = option.get(label_key or "label")
            values.append(value)
            if label is not None:
                labels[str(value)] = str(label)
        elif option is not None:
            values.append(option)
    return values, labels


def _chosen(field: dict[str, Any], raw_options: list[Any]) -> Any:
    """The option object a controlling field starts on: its default, else the first."""
    value_key = field.get("value_key") or "key"
    default = field.get("default")
    for option in raw_options:
        if isinstance(option, dict) and option.get(value_key) == default:
            return option
    return raw_options[0] if raw_options else None


def _fill_placeholders(text: str, data: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(data.get(m.group(1), m.group(0))), text)


def _plain_fields(input_schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    fields = copy.deepcopy(input_schema.get("properties") or {})
    controlled: dict[str, list[Any]] = {}
    defaults: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for key, field in fields.items():
        if not isinstance(field, dict):
            continue
        hints = ux(field)
        raw = None
        if hints.get("enum_source"):
            raw = _dig(data, hints["enum_source"])
            raw = raw if isinstance(raw, list) else []
        elif isinstance(field.get("enum"), list) and any(isinstance(o, dict) for o in field["enum"]):
            raw = field["enum"]
        if key in controlled:
            raw = controlled[key]
        if raw is not None:
            values, labels = _option_lists(raw, field.get("value_key"), field.get("label_key"))
            if not values:
                continue  # no option cctui's client takes: the setting is not sent at all
            field["enum"] = values
            if labels:
                field["enum_labels"] = {**labels, **(field.get("enum_labels") or {})}
            if key in defaults:
                field["default"] = defaults[key]
            field.pop("_ux.enum_source", None)
            if isinstance(field.get("_ux"), dict):
                field["_ux"].pop("enum_source", None)
            for target, control in (field.get("controls") or {}).items():
                if isinstance(control, dict) and control.get("type") == "enum":
                    chosen = _chosen(field, raw)
                    options = _dig(chosen, control.get("enum_path", "")) if isinstance(chosen, dict) else None
                    options = options if isinstance(options, list) else []
                    controlled[target] = [{"key": o.get(control.get("value_key") or "key"),
                                           "label": o.get(control.get("label_key") or "label")}
                                          if isinstance(o, dict) else o for o in options]
                    index = control.get("default_index", 0)
                    if isinstance(index, int) and 0 <= index < len(options):
                        picked = controlled[target][index]
                        defaults[target] = picked.get("key") if isinstance(picked, dict) else picked
        elif hints.get("input_type") == "select" and "enum" not in field:
            continue  # a select whose options another field would have given, and none did
        source = hints.get("source_data")
        if source is not None and not (isinstance(source, str) and "{{" in source):
            field["default"] = _fill_placeholders(source, data) if isinstance(source, str) else source
        out[key] = field
    return out


def _text_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: f for k, f in fields.items() if ux(f).get("input_type") == "textarea"}


def media_tabs_of(display_schema: dict[str, Any], answer: dict[str, Any], metadata, reasons,
                  source_image: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cctui media schema, prompt data by tab). `metadata(provider)` gives a provider's options,
    `reasons(provider)` why it cannot generate (None: it can)."""
    tabs: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    for key, tab_schema, node in _tab_nodes(display_schema, answer):
        hints = ux(tab_schema)
        provider = str(hints.get("provider") or key)
        data = {**copy.deepcopy(node), "_provider_metadata": metadata(provider), "_generations": []}
        if source_image:
            data["_source_image"] = source_image
        label = hints.get("tab_label") or node.get(hints.get("tab_label_field") or "") or key
        input_schema = hints.get("input_schema") if isinstance(hints.get("input_schema"), dict) else {}
        fields = _plain_fields(input_schema, data)
        reason = reasons(provider)
        if reason:
            fields = _text_fields(fields)  # the prompt stays readable (and copyable); nothing is sent
        shown = {k: v for k, v in tab_schema.items() if k != "_ux" and not k.startswith("_ux.")}
        shown["_ux"] = {**{k: v for k, v in hints.items() if k not in ("render_as", "input_schema")},
                        "render_as": "tab.media", "tab_label": str(label), "provider": provider,
                        "input_schema": {**{k: v for k, v in input_schema.items() if k != "properties"},
                                         "type": "object", "properties": fields}}
        if reason:
            shown["_ux"]["unavailable"] = reason
        tabs[key] = shown
        prompts[key] = data
    return {"type": "object", "properties": tabs}, prompts
