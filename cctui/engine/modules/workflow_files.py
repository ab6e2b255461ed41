"""A run's own files (the seed's `workflow_files`), kept in the database for `io.save_json`,
`io.write_text` and `io.load_json`: where a `target_path` puts a file, and which version of it
the run sees now.

A file is seen as state is: going back (a retry or a jump) to the module that wrote it, or to
an earlier one, hides it on the new branch, so a branch never reads what a later, abandoned
branch wrote.
"""

from __future__ import annotations

import os
from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import ModuleContext
from cctui.engine.modules.contract import Inputs
from cctui.workflow.module_shape import json_type

REWINDS = ("retry", "jump")


class FileInputs(Inputs):
    """Where a file is: its name, under `outputs` (default), `root` or a folder of outputs."""

    file_path: str
    target_path: str = "outputs"


def place(ctx: ModuleContext, inputs: dict[str, Any]) -> tuple[str, str, str]:
    """(category, group, filename) for the module's `file_path` and `target_path`."""
    path, target = inputs.get("file_path"), inputs.get("target_path") or "outputs"
    if not isinstance(path, str) or not os.path.basename(path.strip()):
        raise ModuleError(f"{ctx.where}: input `file_path` must be a file name, like \"summary.json\", not "
                          f"{json_type(path) if not isinstance(path, str) else repr(path)}", retryable=False)
    if not isinstance(target, str):
        raise ModuleError(f"{ctx.where}: input `target_path` must be text (\"outputs\", \"root\" or a folder "
                          f"name), not {json_type(target)}", retryable=False)
    filename = os.path.basename(path.strip())  # the seed keeps the name only, whatever folders it names
    if target == "root":
        return "root", "", filename
    return "outputs", "" if target == "outputs" else target, filename


async def save(ctx: ModuleContext, inputs: dict[str, Any], content_type: str, content: str) -> tuple[str, str]:
    """Store a new version of the file; (file_id, filename)."""
    category, group, filename = place(ctx, inputs)
    store = ctx.services.store
    run = await store.get_run(ctx.run_id)
    file_id = await store.add_workflow_file(run_id=ctx.run_id, branch=run.branch, step_id=ctx.step.step_id,
                                            module=ctx.spec.name, category=category, group_id=group,
                                            filename=filename, content_type=content_type, content=content)
    return file_id, filename


async def seen(ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The newest version of the file that the run's branch sees, or None."""
    category, group, filename = place(ctx, inputs)
    store = ctx.services.store
    versions = await store.workflow_files(ctx.run_id, category, group, filename)
    if not versions:
        return None
    rewinds = [(event.branch, _position(ctx, event.data["target_step"], event.data.get("target_module")))
               for event in await store.events(ctx.run_id, REWINDS) if event.data.get("target_step")]
    for version in versions:
        written = _position(ctx, version["step_id"], version["module"])
        # A rewind made on the writing branch or a later one, back to the writer or before it.
        if not any(branch >= version["branch"] and target <= written for branch, target in rewinds):
            return version
    return None


def _position(ctx: ModuleContext, step_id: str, module: str | None) -> tuple[int, int]:
    si = ctx.workflow.step_index(step_id)
    if si is None:  # a step no longer in the workflow: after everything, so any rewind hides its files
        return len(ctx.workflow.steps), 0
    mi = ctx.workflow.steps[si].module_index(module) if module else 0
    return si, len(ctx.workflow.steps[si].modules) if mi is None else mi
