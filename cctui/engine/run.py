"""One run of a workflow: the step/module loop, interactions, retry and jump, sub-actions.

Every change is an event in the log plus the state and position it produced, written in one
transaction, so a run closed (or killed) at any point opens again exactly where it was.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from cctui.engine.attachments import attached, attached_name
from cctui.engine.errors import AnswerError, EngineError, ModuleError
from cctui.errors import CctuiError
from cctui.engine.events import (EngineEvent, EventSink, InteractionWaiting, ModuleFailed, ModuleFinished,
                                 ModuleStarted, PartialAnswer, RenderProgress, RunFinished, RunMoved)
from cctui.engine.forms import FormError, form_values
from cctui.engine.generations import module_generations
from cctui.engine.history import BRANCH_MODE, HistoryEntry, Replay, discard_from
from cctui.engine.interaction import Interaction
from cctui.engine.child_runs import mapped_values
from cctui.engine.option_checks import enforce
from cctui.engine.modules import REGISTRY, ModuleContext
from cctui.engine.modules.media_generate import source_content_id
from cctui.engine.local_files import content_item, copy_file_in, exif_orientation, given_path
from cctui.engine.ux import OWN_FILE_PROVIDER, is_own_file_tab, media_tabs, own_file_extensions, ux
from cctui.providers.base import MediaRequest, ProviderError
from cctui.records import JobStatus, RunRecord, RunStatus, SourceImage
from cctui.workflow.models import ModuleSpec, Workflow
from cctui.workflow.templates import TemplateError, build_context, render_shown, render_string, render_value

if TYPE_CHECKING:
    from cctui.engine.services import Services

# What stops a run with a message in the step panel (try again / go back) instead of escaping:
# the module errors, and a file that could not be read or written (a full disk, a permission).
RUN_ERRORS = (TemplateError, ModuleError, ProviderError, OSError)


def _no_sink(_event: EngineEvent) -> None:
    pass


# The stored event types a client hears about, as the typed notice each becomes.
_NOTICES: dict[str, Callable[["Run", str | None, str | None, int, dict], EngineEvent]] = {
    "module_started": lambda run, step, module, eid, data: ModuleStarted(run.run_id, step, module,
                                                                         data.get("module_id", "")),
    "interaction_requested": lambda run, step, module, eid, data: InteractionWaiting(run.run_id, step, module, eid),
    "module_completed": lambda run, step, module, eid, data: ModuleFinished(run.run_id, step, module),
    "module_failed": lambda run, step, module, eid, data: ModuleFailed(run.run_id, step, module, data["error"]),
    "run_completed": lambda run, step, module, eid, data: RunFinished(run.run_id, RunStatus.COMPLETED),
    "retry": lambda run, step, module, eid, data: RunMoved(run.run_id, data.get("target_step", step),
                                                           data.get("target_module", module)),
    "jump": lambda run, step, module, eid, data: RunMoved(run.run_id, data.get("target_step", step),
                                                          data.get("target_module", module)),
}


class Run:
    def __init__(self, services: "Services", row: RunRecord, workflow: Workflow, sink: EventSink = _no_sink):
        self.services = services
        self.sink = sink
        self.run_id: str = row.run_id
        self.workflow = workflow
        self.state: dict[str, Any] = row.state
        self.position: dict[str, Any] = row.position
        self.status: RunStatus = row.status
        self.branch: int = row.branch
        self.error: str | None = row.error
        # Warning checks the creator confirmed, by interaction (a client confirms, then answers).
        self._confirmed: dict[int, set[str]] = {}

    # ------------------------------------------------------------------ plumbing

    @property
    def store(self):
        return self.services.store

    @property
    def run_dir(self) -> Path:
        return self.services.run_dir(self.run_id)

    def _where(self) -> tuple[int, int]:
        return self.position["step"], self.position["module"]

    def current_spec(self) -> ModuleSpec | None:
        si, mi = self._where()
        if si >= len(self.workflow.steps):
            return None
        return self.workflow.steps[si].modules[mi]

    async def _event(self, type_: str, data: dict | None = None, spec: ModuleSpec | None = None,
                     step_index: int | None = None) -> int:
        si = self.position["step"] if step_index is None else step_index
        step_id = self.workflow.steps[si].step_id if si < len(self.workflow.steps) else None
        module = spec.name if spec else None
        event_id = await self.store.add_event(self.run_id, type_, self.branch, data, step_id, module)
        notice = _NOTICES.get(type_)
        if notice is not None:
            typed = notice(self, step_id, module, event_id, data or {})
            self.store.after_commit(lambda: self.sink(typed))
        return event_id

    async def _save(self) -> None:
        await self.store.save_run(self.run_id, state=self.state, position=self.position,
                                  status=self.status, branch=self.branch, error=self.error)

    def _ctx(self, si: int, spec: ModuleSpec, interaction_id: int | None = None,
             state: dict[str, Any] | None = None, history: list[dict[str, str]] | None = None) -> ModuleContext:
        return ModuleContext(
            run_id=self.run_id, workflow=self.workflow, step=self.workflow.steps[si], step_index=si,
            spec=spec, state=self.state if state is None else state, services=self.services, run_dir=self.run_dir,
            history=list(self.position.get("history") or []) if history is None else history,
            interaction_id=interaction_id,
            report=lambda data: self.sink(RenderProgress(
                self.run_id, self.workflow.steps[si].step_id, spec.name, str(data.get("phase", "")),
                data.get("fraction"), data.get("error"))),
            partial=lambda output, data, schema: self.sink(PartialAnswer(
                self.run_id, self.workflow.steps[si].step_id, spec.name, output, data, schema)),
        )

    def _resolve_inputs(self, ctx: ModuleContext) -> dict[str, Any]:
        inputs = copy.deepcopy(ctx.spec.inputs)
        server = ctx.spec.server_resolved()
        inputs.pop("resolver_schema", None)
        tctx = ctx.template_context()
        for key in server:
            if key in inputs:
                inputs[key] = render_value(inputs[key], tctx, f"{ctx.where}, input {key}")
        # Plain JSON from here on: these inputs are stored with the interaction event.
        return json.loads(json.dumps(inputs, ensure_ascii=False))

    def _shown_inputs(self, ctx: ModuleContext, display_only: frozenset[str],
                      inputs: dict[str, Any]) -> dict[str, Any]:
        """Inputs with their display text (a prompt, a title) rendered against the state, once,
        here, so every client shows the same text. The seed format leaves templates in inputs the
        engine does not resolve for the client to render; those already resolved are not rendered
        twice (state text holding `{{` would be run as a template)."""
        keys = display_only - ctx.spec.server_resolved()
        if not any(isinstance(inputs.get(k), str) for k in keys):
            return inputs
        tctx = ctx.template_context()
        return {k: render_shown(v, tctx) if k in keys and isinstance(v, str) else v for k, v in inputs.items()}

    # ------------------------------------------------------------------ the loop

    async def advance(self) -> RunStatus:
        """Run modules until one waits for the creator, the run completes, or a module fails."""
        while self.status not in (RunStatus.COMPLETED, RunStatus.ERROR):
            if self.position.get("interaction_id"):
                self.status = RunStatus.WAITING
                return self.status
            si, mi = self._where()
            if si >= len(self.workflow.steps):
                async with self.store.transaction():
                    self.status = RunStatus.COMPLETED
                    await self._event("run_completed", {"state_keys": sorted(self.state)}, step_index=si)
                    await self._save()
                return self.status
            spec = self.workflow.steps[si].modules[mi]
            module = REGISTRY[spec.module_id]()
            ctx = self._ctx(si, spec)
            try:
                if mi == 0 and not self.position.get("history"):
                    await self._event("step_started", {"title": self.workflow.step_title(si)})
                await self._event("module_started", {"module_id": spec.module_id,
                                                     "history": self.position.get("history") or []}, spec)
                inputs = self._resolve_inputs(ctx)
                if module.interactive:
                    inputs = await module.prepare(ctx, inputs)
                    shown = self._shown_inputs(ctx, module.contract.display_only, inputs)
                    display = await module.display(ctx, shown)
                    async with self.store.transaction():
                        iid = await self._event("interaction_requested",
                                                {"_resolved_inputs": inputs, "display": display}, spec)
                        self.position["interaction_id"] = iid
                        self.status = RunStatus.WAITING
                        await self._save()
                    return self.status
                outputs = await module.execute(ctx, inputs)
                await self._complete(spec, outputs)
            except RUN_ERRORS as exc:
                await self._fail(spec, exc)
        return self.status

    async def _fail(self, spec: ModuleSpec, exc: Exception) -> None:
        if isinstance(exc, CctuiError):
            message, retryable = exc.report(), exc.retryable
        else:  # OSError
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            message = (f"{self.workflow.steps[self._where()[0]].step_id}, module {spec.name!r}: "
                       f"{getattr(exc, 'strerror', None) or exc}{where}. Free some space or fix the "
                       f"permission, then try again")
            retryable = True
        if isinstance(exc, ProviderError) and exc.provider and exc.provider.lower() not in message.lower():
            message = f"{exc.provider}: {message}"
        written = self.workflow.module_file(*self._where())
        if isinstance(exc, (ModuleError, TemplateError)) and written and written not in message:
            # A module or template problem is often the workflow's: say where it is written.
            message = f"{message} (in {written})"
        async with self.store.transaction():
            self.status = RunStatus.ERROR
            self.error = message
            await self._event("module_failed", {"error": message, "kind": getattr(exc, "kind", "module"),
                                                "retryable": retryable}, spec)
            await self._save()

    async def _complete(self, spec: ModuleSpec, outputs: dict[str, Any]) -> None:
        declared = REGISTRY[spec.module_id].contract.shape(spec.module_id).outputs_for(spec.inputs)
        if set(outputs) != declared:
            # The loader trusts the declaration; a module that strays from it is a bug in cctui.
            raise ModuleError(f"module {spec.name!r} ({spec.module_id}) returned outputs "
                              f"{sorted(outputs)}, not its declared {sorted(declared)}", retryable=False)
        missing = [k for k in spec.outputs_to_state if k not in outputs]
        if missing:
            raise ModuleError(f"module {spec.name!r} produced no output {missing[0]!r}", retryable=False)
        written = {state_key: outputs[out_key] for out_key, state_key in spec.outputs_to_state.items()}
        si, mi = self._where()
        step = self.workflow.steps[si]
        nxt = {"step": si, "module": mi + 1} if mi + 1 < len(step.modules) else {"step": si + 1, "module": 0}
        async with self.store.transaction():
            await self._event("module_completed", {"outputs": outputs}, spec)
            # The raw outputs under the module's name first, so a mapped key of the same name wins.
            self.state[spec.name] = copy.deepcopy(outputs)
            self.state.update(copy.deepcopy(written))
            await self._event("outputs_written", {"written": written}, spec)
            self.position = nxt
            self.status = RunStatus.RUNNING
            await self._save()

    # ------------------------------------------------------------------ interactions

    async def pending(self) -> Interaction | None:
        iid = self.position.get("interaction_id")
        if not iid:
            return None
        event = await self.store.get_event(iid)
        si, mi = self._where()
        spec = self.workflow.steps[si].modules[mi]
        display = dict(event.data["display"])
        if REGISTRY[spec.module_id].contract.sub_actions:
            display["generations"] = await self.generations()
        return Interaction(
            interaction_id=iid, run_id=self.run_id, step_id=self.workflow.steps[si].step_id, step_index=si,
            step_title=self.workflow.step_title(si), module_name=spec.name, module_id=spec.module_id,
            kind=REGISTRY[spec.module_id].contract.view, display=display,
            resolved_inputs=event.data["_resolved_inputs"], retryable=spec.retryable,
            sub_actions=list(spec.sub_actions),
        )

    async def _require_pending(self, interaction_id: int) -> tuple[int, ModuleSpec, dict[str, Any]]:
        if self.position.get("interaction_id") != interaction_id:
            raise AnswerError(f"interaction {interaction_id} is not waiting for an answer")
        si, _ = self._where()
        event = await self.store.get_event(interaction_id)
        return si, self.current_spec(), event.data["_resolved_inputs"]

    async def answer(self, interaction_id: int, answer: dict[str, Any], option_id: str | None = None) -> RunStatus:
        """Answer the waiting question; it goes on by `option_id` (a continue option) or by the
        module's default continue option, whose checks must pass. `confirmed_warnings` in the
        answer lists the warning checks the creator has confirmed."""
        si, spec, inputs = await self._require_pending(interaction_id)
        module = REGISTRY[spec.module_id]()
        answer = dict(answer)
        confirmed = set(answer.pop("confirmed_warnings", None) or []) | self._confirmed.get(interaction_id, set())
        option = None
        if spec.retryable:
            option = spec.retryable.option(option_id) if option_id else spec.retryable.going_on()
        try:
            outputs = await module.respond(self._ctx(si, spec, interaction_id), inputs, answer)
            if option is not None:
                enforce(option, {**answer, **outputs}, list(confirmed))
            async with self.store.transaction():
                await self._event("interaction_answered", {"interaction_id": interaction_id, "answer": answer},
                                  spec)
                self.position["interaction_id"] = None
                await self._complete(spec, outputs)
        except AnswerError:
            raise  # the answer does not fit: the question stays, the creator answers again
        except RUN_ERRORS as exc:
            # The module could not make its outputs from a fitting answer (a workflow mistake, a
            # file): the run stops with the reason in the step panel, like any module failure.
            await self._fail(spec, exc)
            return self.status
        return await self.advance()

    def confirm_warnings(self, interaction_id: int, check_ids: list[str]) -> None:
        """The creator read these warnings and goes on anyway; the next answer may pass them."""
        self._confirmed.setdefault(interaction_id, set()).update(check_ids)

    async def choose(self, interaction_id: int, option_id: str, feedback: str | None = None,
                     answer: dict[str, Any] | None = None) -> RunStatus:
        """Take one of the module's `retryable` options: continue, retry or jump."""
        si, spec, inputs = await self._require_pending(interaction_id)
        option = spec.retryable.option(option_id) if spec.retryable else None
        if option is None:
            known = ", ".join(o.id for o in spec.retryable.options) if spec.retryable else "none"
            raise AnswerError(f"module {spec.name!r} has no option {option_id!r} (options: {known})")
        if option.mode == "continue":
            return await self.answer(interaction_id, answer or {}, option.id)
        enforce(option, answer or {}, list((answer or {}).get("confirmed_warnings") or []))
        target_si = self.workflow.step_index(option.target_step) if option.target_step else si
        target_step = self.workflow.steps[target_si]
        target_mi = target_step.module_index(option.target_module) if option.target_module else 0
        history: list[dict[str, str]] = []
        if option.mode == "retry":
            asking = inputs if (target_si, target_mi) == self._where() else None
            history = await self._retry_history(target_si, target_mi, option, feedback, asking)
        data = {"option": option.id, "mode": option.mode, "interaction_id": interaction_id,
                "target_step": target_step.step_id, "target_module": target_step.modules[target_mi].name,
                "feedback": history[-1]["content"] if history else None}
        await self._rewind(target_si, target_mi, option.mode, data, spec, history)
        return await self.advance()

    async def _retry_history(self, si: int, mi: int, option, feedback: str | None,
                             asking: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """The earlier rounds of the target module, oldest first: [answer 1, feedback 1, ...,
        answer n, feedback n]. The LLM client sends them after the system messages and the
        module's own prompt, so the newest feedback is the last message the model reads.
        `asking`: the stored inputs when the target is the module asking now, whose answer is
        the model's answer it asks about (`Module.earlier_answer`), not a completed one."""
        target = self.workflow.steps[si].modules[mi]
        step_id = self.workflow.steps[si].step_id
        # The answer in force may come from an earlier branch: going back to a later module
        # starts a new branch without running this one again. Its rounds are those of the
        # branch it completed in.
        last = await self.store.last_event(self.run_id, "module_completed", step_id, target.name)
        branch = last.branch if last is not None and asking is None else self.branch
        started = await self.store.last_event(self.run_id, "module_started", step_id, target.name, branch)
        text = (feedback or "").strip()
        if not text:
            text = (option.feedback.default_message if option.feedback else "") or "Please try again with a different answer."
        history = list((started.data.get("history") if started else None) or [])
        shown = REGISTRY[target.module_id]().earlier_answer(asking) if asking is not None else None
        if shown:
            history.append({"role": "assistant", "content": shown})
        elif last is not None:
            outputs = last.data["outputs"]
            previous = outputs.get("_raw") or json.dumps(outputs.get("response", outputs), ensure_ascii=False)
            history.append({"role": "assistant", "content": previous})
        history.append({"role": "user", "content": text})
        return history

    def _discard_from(self, si: int, mi: int) -> dict[str, Any]:
        """Remove state written by the module at (si, mi) and every module after it."""
        return discard_from(self.workflow, self.state, si, mi)

    def keys_discarded_by(self, step_id: str | None, module: str | None) -> list[str]:
        """What going back to (step, module) would discard, for the creator to confirm first."""
        si = self.workflow.step_index(step_id) if step_id else self._where()[0]
        if si is None:
            return []
        mi = (self.workflow.steps[si].module_index(module) if module else 0) or 0
        return [key for s_index, step in enumerate(self.workflow.steps) for m_index, spec in enumerate(step.modules)
                if (s_index, m_index) >= (si, mi) for key in spec.outputs_to_state.values() if key in self.state]

    def working_text(self) -> str:
        """What the module about to run is doing, for a loading line."""
        spec = self.current_spec()
        if spec is None:
            return "Finishing..."
        return f"{REGISTRY[spec.module_id].contract.working} {spec.name.replace('_', ' ')}..."

    def previous_question(self) -> tuple[str, str] | None:
        """(step_id, module) of the last module before this one that asks the creator: where
        "go back" goes."""
        si, mi = self._where()
        positions = [(s, m) for s, step in enumerate(self.workflow.steps) for m in range(len(step.modules))]
        for s, m in reversed([p for p in positions if p < (si, mi)]):
            spec = self.workflow.steps[s].modules[m]
            if REGISTRY[spec.module_id].contract.interactive:
                return self.workflow.steps[s].step_id, spec.name
        return None

    def step_asks(self, step_index: int) -> bool:
        """Whether any module of the step asks the creator (one that does not ran unseen)."""
        return any(REGISTRY[m.module_id].contract.interactive for m in self.workflow.steps[step_index].modules)

    def module_with_view(self, view: str) -> tuple[str, str] | None:
        """(step_id, module) of the first module that asks in `view` (the render form, ...)."""
        return next(((step.step_id, spec.name) for step in self.workflow.steps for spec in step.modules
                     if REGISTRY[spec.module_id].contract.view == view), None)

    def status_rows(self) -> list[list[tuple[str, str]]]:
        """`status_fields`, one list per line of the workflow's layout (empty lines left out)."""
        rows: dict[int, list[tuple[str, str]]] = {}
        for row, label, text in self._status():
            rows.setdefault(row, []).append((label, text))
        return [rows[r] for r in sorted(rows)]

    def status_fields(self) -> list[tuple[str, str]]:
        """The workflow's `status_display`, rendered leniently. In cctui's list shape a key not yet
        written shows empty; in the seed's laid-out shape such a field is left out."""
        return [(label, text) for _row, label, text in self._status()]

    def _status(self) -> list[tuple[int, str, str]]:
        si = min(self._where()[0], len(self.workflow.steps) - 1)
        step_id = self.workflow.steps[si].step_id
        step = {"step_id": step_id, "step_number": si + 1, "name": self.workflow.step_title(si)}
        # Both systems' variables: cctui templates read `step`, the seed's `current_step_name`.
        context = build_context(self.state, step, {}, self.workflow.config, current_step_name=step_id)
        out = []
        for field in self.workflow.status_templates():
            try:
                value = render_string(field.template, context, f"status_display {field.label}")
            except TemplateError:
                value = None
            text = "" if value is None else str(value)
            if text.strip() or not field.drop_when_empty:
                out.append((field.row, field.label, text))
        return out

    async def _rewind(self, si: int, mi: int, mode: str, data: dict, spec: ModuleSpec,
                      history: list[dict[str, str]]) -> None:
        async with self.store.transaction():
            data["discarded"] = self._discard_from(si, mi)
            await self._event(mode, data, spec)
            self.branch += 1
            self.position = {"step": si, "module": mi, "interaction_id": None, "history": history}
            self.status = RunStatus.RUNNING
            self.error = None
            await self._save()

    async def jump_to(self, step_id: str, module: str | None = None) -> RunStatus:
        """Go back to an earlier module (the UI's "go back" after an error)."""
        si = self.workflow.step_index(step_id)
        if si is None:
            raise AnswerError(f"no step {step_id!r}")
        mi = self.workflow.steps[si].module_index(module) if module else 0
        if mi is None:
            raise AnswerError(f"no module {module!r} in step {step_id!r}")
        if (si, mi) > self._where():
            raise AnswerError("you can only go back to this or an earlier module")
        spec = self.current_spec()
        await self._rewind(si, mi, "jump", {"option": None, "mode": "jump", "target_step": step_id,
                                            "target_module": self.workflow.steps[si].modules[mi].name}, spec, [])
        return await self.advance()

    async def history(self) -> list[HistoryEntry]:
        """Every question the run asked, oldest first, those it left by going back included."""
        return (await self._replay()).entries()

    async def _replay(self) -> Replay:
        return Replay(self.workflow, await self.store.events(self.run_id), self.position.get("interaction_id"))

    async def branch_from(self, interaction_id: int) -> RunStatus:
        """Go back to an earlier question of the run's current path and ask it again, over the
        state as it was when it was asked. What came after stays in the log (as after a jump).
        The question is asked again with the inputs it had, so nothing is sent again (a model
        that prepared it is not asked a second time); generations made for it are offered."""
        replay = await self._replay()
        entry = next((e for e in replay.entries() if e.interaction_id == interaction_id), None)
        if entry is None:
            raise AnswerError(f"interaction {interaction_id} is not a question of run {self.run_id}")
        if entry.abandoned:
            raise AnswerError("that question was left when the run went back to an earlier one; "
                              "branch from a question on the run's current path")
        if entry.waiting:
            raise AnswerError("the run is asking that question now: answer it, or branch from an earlier one")
        asked = await self.store.get_event(interaction_id)
        si, mi = replay.asked[interaction_id].where
        spec = self.workflow.steps[si].modules[mi]
        started = [e for e in await self.store.events(self.run_id, ("module_started",))
                   if e.event_id < interaction_id and e.step_id == asked.step_id and e.module == asked.module]
        history = list(started[-1].data.get("history") or []) if started else []
        state = replay.states[interaction_id]
        async with self.store.transaction():
            discarded = {k: v for k, v in self.state.items() if state.get(k, object()) != v}
            await self._event("jump", {"option": None, "mode": BRANCH_MODE, "from_interaction": interaction_id,
                                       "interaction_id": self.position.get("interaction_id"),
                                       "target_step": asked.step_id, "target_module": spec.name,
                                       "discarded": discarded}, self.current_spec())
            self.branch += 1
            self.state = copy.deepcopy(state)
            self.position = {"step": si, "module": mi, "interaction_id": None, "history": history}
            self.error = None
            if mi == 0 and not history:
                await self._event("step_started", {"title": self.workflow.step_title(si)})
            await self._event("module_started", {"module_id": spec.module_id, "history": history}, spec)
            iid = await self._event("interaction_requested", {**asked.data, "asked_again": interaction_id}, spec)
            self.position["interaction_id"] = iid
            self.status = RunStatus.WAITING
            await self._save()
        return self.status

    async def retry_failed(self) -> RunStatus:
        """Run the module that failed again."""
        if self.status is not RunStatus.ERROR:
            raise AnswerError("the run has not failed; nothing to retry")
        async with self.store.transaction():
            self.status = RunStatus.RUNNING
            self.error = None
            await self._event("retry", {"mode": "retry_failed"}, self.current_spec())
            await self._save()
        return await self.advance()

    # ------------------------------------------------------------------ sub-actions

    async def run_child(self, interaction_id: int, sub_action_id: str, feedback: str | None = None) -> RunStatus:
        """Run a sub-action's modules as a hidden child run on a copy of the state, map what they
        made into the run's state, and ask the waiting question again over it (a list of scenes
        that grew shows the new ones). Nothing is mapped when a child module fails."""
        si, spec, _ = await self._require_pending(interaction_id)
        sub = next((s for s in spec.sub_actions if s.id == sub_action_id), None)
        if sub is None or not sub.child_modules():
            raise AnswerError(f"module {spec.name!r} has no sub-action {sub_action_id!r} that runs other modules")
        child = copy.deepcopy(self.state)
        text = (feedback or "").strip() or (sub.feedback.default_message if sub.feedback else "")
        history: list[dict[str, str]] = []
        if sub.feedback is not None and sub.feedback.enabled and text:
            child[sub.feedback.state_key] = text
            history = [{"role": "user", "content": f"FEEDBACK FROM USER: {text}"}]
        for step_id, name in sub.child_modules():
            csi = self.workflow.step_index(step_id)
            cmi = self.workflow.steps[csi].module_index(name)  # both checked when the workflow loaded
            cspec = self.workflow.steps[csi].modules[cmi]
            ctx = self._ctx(csi, cspec, state=child, history=history)
            try:
                outputs = await REGISTRY[cspec.module_id]().execute(ctx, self._resolve_inputs(ctx))
            except RUN_ERRORS as exc:
                reason = exc.report() if isinstance(exc, CctuiError) else str(exc)
                raise AnswerError(f"{sub.label}: module {name!r} failed, nothing was changed: {reason}") from None
            child[cspec.name] = outputs
            child.update({key: outputs[out] for out, key in cspec.outputs_to_state.items() if out in outputs})
        updates, missing = mapped_values(self.state, child, sub.result_mapping)
        if missing:
            raise AnswerError(f"{sub.label}: the child run made no {missing[0]!r} to map back (result_mapping "
                              f"of {spec.name!r}); nothing was changed")
        async with self.store.transaction():
            await self._event("sub_action_completed", {"interaction_id": interaction_id, "sub_action": sub.id,
                                                       "feedback": text or None, "mapped": updates}, spec)
            self.state.update(updates)
            self.position["interaction_id"] = None
            self.status = RunStatus.RUNNING
            await self._save()
        return await self.advance()

    async def generations(self) -> list[dict[str, Any]]:
        spec = self.current_spec()
        iid = self.position.get("interaction_id")
        if spec is None or not iid:
            return []
        event = await self.store.get_event(iid)
        return await module_generations(self.store, self.run_id, self.workflow.steps[self._where()[0]].step_id,
                                        spec.name, source_content_id(event.data["_resolved_inputs"]))

    async def sub_action(self, interaction_id: int, sub_action_id: str, tab: str,
                         values: dict[str, Any] | None = None) -> str:
        """Start one generation from a paused media interaction; returns the job id.

        The source image comes from the interaction's stored resolved inputs, never from the
        caller, so what is generated is what the creator saw when the step paused.
        """
        si, spec, inputs = await self._require_pending(interaction_id)
        sub = next((s for s in spec.sub_actions if s.id == sub_action_id), None)
        if sub is None:
            raise AnswerError(f"module {spec.name!r} has no sub-action {sub_action_id!r}")
        tabs = media_tabs(inputs.get("schema") or {})
        if tab not in tabs:
            raise AnswerError(f"no provider tab {tab!r} here (tabs: {', '.join(tabs)})")
        if is_own_file_tab(tabs[tab]):
            raise AnswerError(f"{ux(tabs[tab]).get('tab_label') or tab} generates nothing: it takes a file of "
                              f"yours (give its path)")
        provider = ux(tabs[tab]).get("provider") or tab
        try:
            params = form_values(tabs[tab], (inputs.get("prompts") or {}).get(tab), values or {})
        except FormError as exc:
            raise AnswerError(str(exc)) from None
        action, params = REGISTRY[spec.module_id]().generation(inputs, sub, tab, params)
        params = attached(tabs[tab], params, ux(tabs[tab]).get("tab_label") or tab)
        source = SourceImage.from_value(inputs.get("source_image")) if action in ("img2vid", "img2img") else None
        if action in ("img2vid", "img2img"):
            if source is None:
                raise AnswerError(f"{sub.label}: this step has no source image to start from")
            if not Path(source.local_path).is_file():
                raise AnswerError(f"{sub.label}: the source image {source.local_path} is missing on disk")
        step_id = self.workflow.steps[si].step_id
        request = MediaRequest(action=action, provider=provider, params=params, source_image=source,
                               media_dir=str(self.run_dir / "media"), stem="")
        try:
            job_id = await self.services.jobs.start(request, run_id=self.run_id, interaction_id=interaction_id,
                                                    step_id=step_id, module=spec.name, prompt_key=tab)
        except ProviderError as exc:
            # Refused before anything was sent: the creator changes the form and tries again.
            raise AnswerError(f"{ux(tabs[tab]).get('tab_label') or tab}: {exc}") from None
        await self._event("sub_action_started", {"interaction_id": interaction_id, "sub_action": sub.id,
                                                 "tab": tab, "provider": provider, "job_id": job_id,
                                                 "params": {k: attached_name(v) for k, v in params.items()}},
                          spec)
        return job_id

    async def own_file(self, interaction_id: int, tab: str, given: str) -> str:
        """The creator's own file for an own-file tab (`_ux.provider: "you"`) of a paused media
        interaction: checked, copied into the run (a photo turned upright) and recorded as a
        finished generation of that tab, chosen like any other; returns its job id. Nothing is
        sent to any provider. A refused file raises AnswerError and leaves nothing behind."""
        si, spec, inputs = await self._require_pending(interaction_id)
        tabs = media_tabs(inputs.get("schema") or {})
        own = [key for key, schema in tabs.items() if is_own_file_tab(schema)]
        if tab not in own:
            raise AnswerError(f"no tab {tab!r} here takes a file of yours"
                              + (f" (that is {', '.join(own)})" if own else " (this step only generates)"))
        label = ux(tabs[tab]).get("tab_label") or tab
        if not str(given or "").strip():
            raise AnswerError(f"{label}: give the path of a picture (type or paste it, or pick it in the list)")
        source = given_path(str(given))

        def take() -> tuple[Path, bool, dict[str, Any]]:
            kept = copy_file_in(source, self.run_dir / "uploads", own_file_extensions(tabs[tab]), label)
            return kept, exif_orientation(source) != 1, content_item(kept, source.name, OWN_FILE_PROVIDER)

        # Decoding, turning and copying a big photo takes a moment: not on the loop the screen runs on.
        kept, turned, item = await asyncio.to_thread(take)
        params = {"from": str(source)}
        if turned:
            params["turned"] = "upright, as the camera's EXIF said"
        request = MediaRequest(action="own_file", provider=OWN_FILE_PROVIDER, params=params, source_image=None,
                               media_dir=str(kept.parent), stem=kept.stem)
        step_id = self.workflow.steps[si].step_id
        job_id = await self.services.jobs.record_finished(
            request, run_id=self.run_id, interaction_id=interaction_id, step_id=step_id, module=spec.name,
            prompt_key=tab, kind=item["kind"], local_path=str(kept),
            metadata={"filename": source.name, "mime": item["mime_type"], "size_bytes": item["size_bytes"]})
        await self._event("own_file_added", {"interaction_id": interaction_id, "tab": tab, "job_id": job_id,
                                             "from": str(source), "copy": str(kept)}, spec)
        return job_id

    def media_client(self, provider: str, action: str):
        """The provider client a tab's form prices its request with, or None when the provider
        is not configured (the form still works, without an estimate)."""
        try:
            return self.services.providers.media(provider, action)
        except Exception:  # no key, no such provider: nothing to ask
            return None

    def can_look_for(self, provider: str | None, action: str | None) -> bool:
        """Whether a lost submit to `provider` can be looked up in its list of jobs (free)."""
        client = self.media_client(provider, action) if provider and action else None
        return client is not None and hasattr(client, "find_submitted")

    async def resubmit_price(self, job_id: str) -> str:
        """What resubmitting the job would cost, for the question asked before it is sent."""
        job = await self.store.get_job(job_id)
        if job is None:
            raise AnswerError(f"no job {job_id}")
        return self.services.jobs.price_text(job)

    async def decide_job(self, interaction_id: int, job_id: str, decision: str) -> None:
        """The creator's decision on a generation that needs one: `fetch` asks the provider again
        (free: follow, download), `resubmit` sends a new paid request (only when the provider
        never took the first or said it ended; the caller has shown the price and asked),
        `dismiss` gives it up."""
        await self._require_pending(interaction_id)
        job = await self.store.get_job(job_id)
        if job is None or job.run_id != self.run_id or job.interaction_id != interaction_id:
            raise AnswerError(f"job {job_id} is not one of this step's generations")
        jobs = self.services.jobs
        try:
            if decision == "fetch":
                await jobs.fetch_again(job_id)
            elif decision == "resubmit":
                await jobs.resubmit(job_id)
            elif decision == "dismiss":
                if job.status.final and job.status is not JobStatus.FAILED:
                    raise ValueError(f"job {job_id} is {job.status}")
                await jobs.dismiss(job_id)
            else:
                raise AnswerError(f"unknown decision {decision!r} (fetch, resubmit or dismiss)")
        except ValueError as exc:
            raise AnswerError(str(exc)) from None
        await self._event("job_decided", {"interaction_id": interaction_id, "job_id": job_id, "decision": decision},
                          self.current_spec())


__all__ = ["Run", "EngineError"]
