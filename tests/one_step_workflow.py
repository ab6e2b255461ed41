"""A one-step workflow of the given modules, written in the seed format's shape, and run to its
end or its first question (for the tests of single modules in a real engine)."""

from __future__ import annotations

import json
from pathlib import Path


def resolved(*names: str) -> dict:
    """A `resolver_schema` marking `names` for the engine to render."""
    return {"type": "object", "properties": {n: {"resolver": "server"} for n in names}}


def write(root: Path, *modules: dict, state: dict | None = None, steps: list[dict] | None = None) -> Path:
    root.mkdir()
    (root / "workflow.json").write_text(json.dumps({
        "workflow_id": "t", "name": "T", "initial_state": state or {},
        "steps": steps or [{"step_id": "s", "name": "S", "modules": list(modules)}]}), encoding="utf-8")
    return root


async def finish(engine, folder: Path):
    run = await engine.new_run(folder)
    await run.advance()
    return run
