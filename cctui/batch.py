"""Batch mode: run a whole workflow without a screen, answers taken from a JSON file.

The answers file is an object keyed by module name (or `step_id.module_name`); each value is one
answer or a list consumed in order each time that module asks:
  {"select": [0]} | {"text": "..."} | {"option": "retry_id", "feedback": "..."} |
  {"sub_actions": [{"id": "generate", "tab": "leonardo", "params": {...}}], "select": 0} |
  {"skip": true}  (an optional media step, e.g. music without an ElevenLabs key)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError, EngineError
from cctui.engine.run import Run
from cctui.workflow.models import Workflow

ANSWER_KEYS = {"select", "selected_indices", "text", "option", "feedback", "sub_actions", "selected_content_id",
               "skip"}


class BatchError(EngineError):
    pass


def load_answers(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchError(f"{path}: answers file not found") from None
    except json.JSONDecodeError as exc:
        raise BatchError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise BatchError(f"{path}: at $: the answers file must be a JSON object keyed by module name")
    return data


def check_answers(answers: dict[str, Any], workflow: Workflow, source: str = "answers") -> None:
    """Refuse an answers file that does not fit the workflow, before anything is spent."""
    names = {}
    for step in workflow.steps:
        for spec in step.modules:
            names[spec.name] = spec
            names[f"{step.step_id}.{spec.name}"] = spec
    for key, value in answers.items():
        if key.startswith("$") or key.startswith("_"):
            continue  # comments
        if key not in names:
            raise BatchError(f"{source}: at $.{key}: no module named {key!r} in workflow {workflow.workflow_id!r}")
        spec = names[key]
        for i, answer in enumerate(value if isinstance(value, list) else [value]):
            where = f"{source}: at $.{key}" + (f"[{i}]" if isinstance(value, list) else "")
            if not isinstance(answer, dict):
                raise BatchError(f"{where}: an answer must be an object such as {{\"select\": [0]}}")
            unknown = set(answer) - ANSWER_KEYS
            if unknown:
                raise BatchError(f"{where}: unknown key {sorted(unknown)[0]!r} "
                                 f"(expected {', '.join(sorted(ANSWER_KEYS))})")
            option = answer.get("option")
            if option is not None:
                ids = [o.id for o in spec.retryable.options] if spec.retryable else []
                if option not in ids:
                    raise BatchError(f"{where}.option: module {spec.name!r} has no option {option!r}"
                                     f" (options: {', '.join(ids) or 'none'})")
            for j, sub in enumerate(answer.get("sub_actions") or []):
                if not isinstance(sub, dict) or "tab" not in sub:
                    raise BatchError(f"{where}.sub_actions[{j}]: needs a `tab` (the provider tab key)")
                if sub.get("id", "generate") not in [s.id for s in spec.sub_actions]:
                    raise BatchError(f"{where}.sub_actions[{j}].id: module {spec.name!r} has no sub-action "
                                     f"{sub.get('id')!r}")


class BatchRunner:
    def __init__(self, engine: Engine, answers: dict[str, Any], out: Callable[[str], None] = print,
                 job_timeout: float = 1800.0):
        self.engine = engine
        self.answers = answers
        self.out = out
        self.job_timeout = job_timeout
        self.used: dict[str, int] = {}

    def _next_answer(self, run: Run, step_id: str, module: str) -> dict[str, Any]:
        for key in (f"{step_id}.{module}", module):
            if key in self.answers:
                value = self.answers[key]
                queue = value if isinstance(value, list) else [value]
                n = self.used.get(key, 0)
                if n >= len(queue):
                    if isinstance(value, list):
                        raise BatchError(f"answers: at $.{key}: module {module!r} (step {step_id!r}) asked "
                                         f"{n + 1} times; the file has {len(queue)} answers")
                    return queue[-1]
                self.used[key] = n + 1
                return queue[n]
        raise BatchError(f"answers: no answer for module {module!r} (step {step_id!r}); add a key {module!r}")

    def _report_steps(self, run: Run, done_before: int) -> int:
        done = min(run.position["step"], len(run.workflow.steps))
        if run.status == "completed":
            done = len(run.workflow.steps)
        for si in range(done_before, done):
            step = run.workflow.steps[si]
            keys = [k for spec in step.modules for k in spec.outputs_to_state.values() if k in run.state]
            self.out(f"  {run.workflow.step_title(si)} [{step.step_id}] done: {', '.join(keys)}")
        if done < done_before:
            self.out(f"  went back to {run.workflow.step_title(done)} [{run.workflow.steps[done].step_id}]")
        return done

    async def run(self, workflow_dir: Path | str) -> Run:
        run = await self.engine.new_run(workflow_dir)
        check_answers(self.answers, run.workflow)
        self.out(f"run {run.run_id} ({run.workflow.name})")
        return await self.drive(run)

    async def drive(self, run: Run) -> Run:
        status = await run.advance()
        done = self._report_steps(run, 0)
        while status != "completed":
            if status == "error":
                spec = run.current_spec()
                raise BatchError(f"run {run.run_id} stopped in {run.workflow.step_title(run.position['step'])}, "
                                 f"module {spec.name if spec else '?'}: {run.error}")
            interaction = await run.pending()
            answer = self._next_answer(run, interaction.step_id, interaction.module_name)
            try:
                status = await self._apply(run, interaction, answer)
            except AnswerError as exc:
                raise BatchError(f"answers: at $.{interaction.module_name}: {exc}") from None
            done = self._report_steps(run, done)
        return run

    async def _apply(self, run: Run, interaction, answer: dict[str, Any]) -> str:
        iid = interaction.interaction_id
        for sub in answer.get("sub_actions") or []:
            job_id = await run.sub_action(iid, sub.get("id", "generate"), sub["tab"], sub.get("params") or {})
            await self.engine.services.jobs.wait([job_id], timeout=self.job_timeout)
            job = await self.engine.services.store.get_job(job_id)
            line = f"    {interaction.module_name}: {sub['tab']} {job['action']} {job['status']}"
            if job["error"]:
                line += f": {job['error']}"
            self.out(line)
        option = answer.get("option")
        if option and option != "continue":
            return await run.choose(iid, option, answer.get("feedback"))
        if interaction.kind == "text_input":
            response = {"text": answer.get("text", "")}
        elif answer.get("skip"):
            response = {"skip": True}
        elif answer.get("selected_content_id"):
            response = {"selected_content_id": answer["selected_content_id"]}
        else:
            response = {"selected_indices" if interaction.kind == "select" else "select":
                        answer.get("select", answer.get("selected_indices"))}
        if option == "continue":
            return await run.choose(iid, "continue", answer=response)
        return await run.answer(iid, response)
