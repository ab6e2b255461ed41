"""An answer still arriving, shown the way the next question will show it once it is whole.

When the module right after the streaming one (in the same step) asks the creator to choose
from a list (a `select` view), its inputs are resolved against the state as it will be, with
the answer so far written where the module's `outputs_to_state` puts it, and its display's
schema and data are returned: the cards fill in as they will look. Nothing is stored and nothing
runs but template rendering and the module's own `display`; when the next question cannot be
shown from part of an answer, None (the caller shows the answer by its own schema).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from cctui.engine.events import PartialAnswer
from cctui.engine.modules import REGISTRY

if TYPE_CHECKING:
    from cctui.engine.run import Run


async def next_display(run: "Run", event: PartialAnswer) -> tuple[dict[str, Any], Any] | None:
    """(display schema, display data) of the next question with `event`'s answer so far, or None."""
    si, mi = run.position["step"], run.position["module"]
    steps = run.workflow.steps
    if si >= len(steps) or steps[si].step_id != event.step_id or mi + 1 >= len(steps[si].modules):
        return None
    spec, nxt = steps[si].modules[mi], steps[si].modules[mi + 1]
    module = REGISTRY[nxt.module_id]()
    if spec.name != event.module or module.contract.view != "select":
        return None
    state = dict(run.state)
    state[spec.name] = {event.output: event.data}
    for out_key, state_key in spec.outputs_to_state.items():
        if out_key == event.output:
            state[state_key] = copy.deepcopy(event.data)
    ctx = run._ctx(si, nxt, state=state)
    try:
        inputs = run._resolve_inputs(ctx)
        display = await module.display(ctx, run._shown_inputs(ctx, module.contract.display_only, inputs))
    except Exception:  # noqa: BLE001 - part of an answer often cannot be shown yet; the caller falls back
        return None
    if not isinstance(display.get("schema"), dict) or display.get("data") is None:
        return None
    return display["schema"], display["data"]
