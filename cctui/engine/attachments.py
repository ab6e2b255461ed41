"""Files a media tab attaches to a request by the option the creator picked.

A tab's `_ux.attach` maps a form field to a table of its options' data, usually `$ref`ed files
beside the step (a ComfyUI graph per option of the Graph select):

    "_ux": {"attach": {"graph": {"wan22_ti2v_5b": {"$ref": "../comfyui/wan22_ti2v_5b.json", "type": "json"}}}}

The request then carries `params["graph"] = {"name": "wan22_ti2v_5b", **that file}`, so the job
row holds everything needed to send it again, and the provider never reads the workflow folder.
"""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import AnswerError
from cctui.engine.ux import ux


def attached(tab_schema: dict[str, Any], params: dict[str, Any], label: str) -> dict[str, Any]:
    """`params` with each attached field's chosen option replaced by its data."""
    table = ux(tab_schema).get("attach")
    if not isinstance(table, dict):
        return params
    params = dict(params)
    for field, options in table.items():
        if not isinstance(options, dict) or field not in params:
            continue
        chosen = params[field]
        data = options.get(str(chosen))
        if not isinstance(data, dict):
            names = ", ".join(str(name) for name in options)
            raise AnswerError(f"{label}: {field} {chosen!r} is not one this tab has (it has {names or 'none'})")
        params[field] = {"name": str(chosen), **data}
    return params


def attached_name(value: Any) -> Any:
    """What to show for a param that may be an attached file: its option name."""
    return value.get("name") if isinstance(value, dict) and "name" in value else value
