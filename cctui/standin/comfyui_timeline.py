"""When a ComfyUI prompt does what: its websocket messages on the wall clock, and its history entry.

Everything is a function of the queue item's `start` / `end` times and its outcome, so the
websocket sender and `/history` agree without a worker thread. Within a run the nodes before the
sampler execute in the first tenth, the sampler reports `progress` over the next three quarters
(and one binary preview frame), the nodes after it in the rest; the outcome comes at `end`:
`executed` for each output node with output, `execution_success`, then `executing` with node null
(or `execution_error` / `execution_interrupted` at the node that was running).
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING, Any

from PIL import Image

from .comfyui_graph import execution_order
from .comfyui_outputs import literal

if TYPE_CHECKING:
    from .comfyui_hosts import QueueItem

SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
PREVIEW_IMAGE, JPEG = 1, 1  # ComfyUI's BinaryEventTypes.PREVIEW_IMAGE and its JPEG image type
MAX_PROGRESS_MESSAGES = 10
STUCK_AT = 0.5  # a stuck run's sampler stops reporting half-way through job_seconds
Event = tuple[float, str, Any]  # (time, type, data); type "preview" carries the binary frame


def ms(t: float) -> int:
    return int(t * 1000)


def preview_frame() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 110, 140)).save(buf, "JPEG", quality=60)
    return struct.pack(">II", PREVIEW_IMAGE, JPEG) + buf.getvalue()


def _node_times(item: "QueueItem") -> tuple[list[tuple[float, str]], list[Event]]:
    """([(time, node id) executing], the sampler's progress events)."""
    start, span = item.start or 0.0, item.duration
    order = execution_order(item.prompt, item.outputs)
    sampler = next((n for n in order if item.prompt[n]["class_type"] in SAMPLERS), None)
    cut = order.index(sampler) if sampler is not None else 0
    before, after = order[:cut], order[cut + (sampler is not None):]
    times = [(start + span * 0.1 * i / max(1, len(before)), n) for i, n in enumerate(before)]
    progress: list[Event] = []
    if sampler is not None:
        times.append((start + span * 0.1, sampler))
        steps = max(1, int(literal(item.prompt[sampler], "steps", 20)))
        shown = sorted({round(steps * k / min(steps, MAX_PROGRESS_MESSAGES))
                        for k in range(1, min(steps, MAX_PROGRESS_MESSAGES) + 1)})
        for value in shown:
            at = start + span * (0.1 + 0.75 * value / steps)
            progress.append((at, "progress", {"value": value, "max": steps, "prompt_id": item.prompt_id,
                                              "node": sampler}))
        progress.insert(1, (progress[0][0], "preview", preview_frame()))
    first_after = 0.85 if sampler is not None else 0.0
    times += [(start + span * (first_after + (0.99 - first_after) * j / max(1, len(after))), n)
              for j, n in enumerate(after)]
    return times, progress


def _outcome(item: "QueueItem", executing: list[tuple[float, str]]) -> list[Event]:
    end, pid = item.end or 0.0, item.prompt_id
    ran = [n for t, n in executing if t < end]
    failed_at = ran[-1] if ran else (item.outputs[0] if item.outputs else "")
    node_type = item.prompt.get(failed_at, {}).get("class_type")
    done: list[Event] = []
    if item.interrupted:
        done.append((end, "execution_interrupted", {"prompt_id": pid, "node_id": failed_at, "node_type": node_type,
                                                    "executed": ran[:-1], "timestamp": ms(end)}))
    elif item.error is not None:
        done.append((end, "execution_error", {"prompt_id": pid, "node_id": item.error.get("node_id", failed_at),
                                              "node_type": item.error.get("node_type", node_type),
                                              "executed": ran[:-1], "exception_message": item.error["message"],
                                              "exception_type": item.error["type"],
                                              "traceback": item.error.get("traceback", []), "current_inputs": {},
                                              "current_outputs": [], "timestamp": ms(end)}))
    else:
        for node, output in (item.result or {}).items():
            done.append((end, "executed", {"node": node, "display_node": node, "output": output, "prompt_id": pid}))
        done.append((end, "execution_success", {"prompt_id": pid, "timestamp": ms(end)}))
    done.append((end, "executing", {"node": None, "prompt_id": pid}))
    return done


def events(item: "QueueItem", until: float) -> list[Event]:
    """The messages of this run that have happened by `until`; its outcome needs it finished."""
    if item.start is None or item.start > until:
        return []
    start, end, pid = item.start, item.end or item.start, item.prompt_id
    found: list[Event] = [(start, "execution_start", {"prompt_id": pid, "timestamp": ms(start)}),
                          (start, "execution_cached", {"nodes": [], "prompt_id": pid, "timestamp": ms(start)})]
    executing, progress = _node_times(item)
    found += [(t, "executing", {"node": n, "display_node": n, "prompt_id": pid}) for t, n in executing]
    cut = min(end, start + item.duration * STUCK_AT) if item.outcome == "stuck" else end
    found = sorted((e for e in found + progress if e[0] < cut or e[0] == start), key=lambda e: e[0])
    if until >= end:
        found += _outcome(item, executing)
    return [e for e in found if e[0] <= until]


def history_entry(item: "QueueItem") -> dict[str, Any]:
    """`/history/{id}`'s entry of a finished run."""
    executing, _ = _node_times(item)
    outcome = _outcome(item, executing)
    start = item.start or 0.0
    messages = [["execution_start", {"prompt_id": item.prompt_id, "timestamp": ms(start)}],
                ["execution_cached", {"nodes": [], "prompt_id": item.prompt_id, "timestamp": ms(start)}]]
    messages += [[kind, data] for _, kind, data in outcome if kind.startswith("execution_")]
    success = not item.interrupted and item.error is None
    outputs = dict(item.result or {}) if success else {}
    return {"prompt": item.as_list(), "outputs": outputs,
            "status": {"status_str": "success" if success else "error", "completed": success, "messages": messages},
            "meta": {n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n} for n in outputs}}
