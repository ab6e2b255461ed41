"""Runs for the bench: settings pointed at the stand-in, a workflow driven to a given question,
and databases seeded through the Store API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cctui.settings import SecretStr

from cctui.batch import BatchRunner, load_answers
from cctui.costs.ledger import Ledger
from cctui.demo import DEMO_KEY
from cctui.engine.engine import Engine
from cctui.engine.run import Run
from cctui.settings import Settings, load_settings
from cctui.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "cc"
ANSWERS = ROOT / "examples" / "cc-answers.json"


def bench_settings(data_dir: Path, urls: dict[str, str] | None = None) -> Settings:
    """Settings as `--demo` makes them (throwaway keys, every base URL at the stand-in), with no
    config file and no environment, and the half-cell image protocol (no terminal to ask)."""
    settings = load_settings(env={}, config_file=Path(data_dir) / "no-config.toml", data_dir=Path(data_dir),
                             image_protocol="halfcell")
    if urls is None:
        return settings
    key = SecretStr(DEMO_KEY)
    return settings.model_copy(update={
        "openai_api_key": key, "openai_base_url": urls["openai"], "leonardo_api_key": key,
        "leonardo_base_url": urls["leonardo"], "elevenlabs_api_key": key, "elevenlabs_base_url": urls["elevenlabs"],
        "sora_api_key": key, "sora_base_url": urls["sora"], "fal_api_key": key, "fal_base_url": urls["fal"],
        "demo": True})


class Paused(Exception):
    """The run reached the module it was to stop at; it is waiting there."""


class RunnerTo(BatchRunner):
    """`BatchRunner` with the example answers that leaves the run waiting at `stop_at` (a module
    name), or runs it to the end when `stop_at` is None."""

    def __init__(self, engine: Engine, stop_at: str | None = None, answers: dict[str, Any] | None = None):
        super().__init__(engine, answers or load_answers(ANSWERS), out=lambda _line: None)
        self.stop_at = stop_at

    def _next_answer(self, run: Run, step_id: str, module: str) -> dict[str, Any]:
        if module == self.stop_at:
            raise Paused(module)
        return super()._next_answer(run, step_id, module)

    async def run_to(self, workflow_dir: Path = WORKFLOW) -> Run:
        run = await self.engine.new_run(workflow_dir)
        try:
            await self.drive(run)
        except Paused:
            pass
        return run


async def seed_runs(store: Store, count: int, state: dict[str, Any], *, workflow_dir: Path = WORKFLOW,
                    costs_per_run: int = 8) -> None:
    """`count` runs through the Store API, each with `state` and a few ledger rows, at positions
    spread over the nine steps (some completed), in one transaction."""
    ledger = Ledger(store)
    async with store.transaction():
        for i in range(count):
            run_id = await store.create_run("cuddle_crew", str(workflow_dir), state, {"step": 0, "module": 0})
            step = i % 10
            status = "completed" if step == 9 else "waiting"
            await store.save_run(run_id, state=state, position={"step": min(step, 8), "module": 0,
                                                                "interaction_id": None},
                                 status=status, branch=0)
            for c in range(costs_per_run):
                await ledger.add_llm(run_id=run_id, step_id="scene_generation", module=f"m{c}", provider="openai",
                                     charge=None, model="gpt-bench", input_tokens=900, output_tokens=400)


async def seed_events(store: Store, run_id: str, total: int) -> int:
    """Bring the run's event log to `total` events by repeating its own events (same types, same
    data sizes), written after the pending interaction, as a long session of regenerations would."""
    existing = await store.events(run_id)
    pattern = [e for e in existing if e.type not in ("run_started", "interaction_requested")] or existing
    added = 0
    async with store.transaction():
        while len(existing) + added < total:
            event = pattern[added % len(pattern)]
            await store.add_event(run_id, event.type, event.branch, event.data, event.step_id,
                                  event.module)
            added += 1
    return len(existing) + added
