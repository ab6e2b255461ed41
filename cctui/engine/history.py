"""A run's history: every question it asked, in order, with what was answered, read from the
event log; and the state as it was when each question was asked, rebuilt from the same log.

The log keeps everything: going back (a retry, a jump, a branch from the history) leaves the
questions after that point in it, marked here as abandoned. The state is only ever changed by
events (a module's outputs, a child run's mapped values, going back), so folding them again gives
the state at any earlier point, which is what branching from a question restores.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable

from cctui.engine.answer_text import outputs_text
from cctui.engine.modules import REGISTRY
from cctui.records import EventRecord
from cctui.workflow.models import Workflow

# The event types that take the run back to an earlier module (the event names the target).
REWINDS = ("retry", "jump")
# A jump made from the history screen: the state comes back as it was when the question was asked.
BRANCH_MODE = "branch"


@dataclass(frozen=True)
class HistoryEntry:
    """One question of the run. `abandoned`: the run went back to it or to an earlier module
    afterwards, so it is not on the run's current path; `waiting`: the run is asking it now."""

    interaction_id: int
    step_index: int
    step_id: str
    step_title: str
    module: str
    question: str
    answer: str
    asked_at: float
    branch: int
    abandoned: bool
    waiting: bool


def discard_from(workflow: Workflow, state: dict[str, Any], si: int, mi: int) -> dict[str, Any]:
    """Remove from `state` what the module at (si, mi) and every module after it wrote (keys the
    workflow starts with go back to their first value); returns what was removed."""
    discarded: dict[str, Any] = {}
    for s_index, step in enumerate(workflow.steps):
        for m_index, spec in enumerate(step.modules):
            if (s_index, m_index) < (si, mi):
                continue
            for key in spec.state_keys():
                if key in state:
                    discarded[key] = state.pop(key)
                if key in workflow.initial_state:
                    state[key] = copy.deepcopy(workflow.initial_state[key])
    return discarded


def position(workflow: Workflow, step_id: str | None, module: str | None) -> tuple[int, int]:
    """(step index, module index) of a module named in the log; one no longer in the workflow
    counts as after everything."""
    si = workflow.step_index(step_id) if step_id else None
    if si is None:
        return len(workflow.steps), 0
    mi = workflow.steps[si].module_index(module) if module else 0
    return si, len(workflow.steps[si].modules) if mi is None else mi


def _going_back_text(event: EventRecord) -> str:
    target = str(event.data.get("target_module") or event.data.get("target_step") or "").replace("_", " ")
    mode = event.data.get("mode")
    if mode == "retry":
        feedback = " ".join(str(event.data.get("feedback") or "").split())
        return f"asked again with feedback: {feedback}" if feedback else "asked again"
    if mode == BRANCH_MODE:
        return f"left: branched back to {target}"
    return f"left: went back to {target}"


@dataclass
class _Asked:
    event: EventRecord
    where: tuple[int, int]
    question: str
    answer: str = ""
    abandoned: bool = False


class Replay:
    """The log folded once, in order: the questions, and the state when each was asked."""

    def __init__(self, workflow: Workflow, events: Iterable[EventRecord], pending: int | None = None):
        self.workflow = workflow
        self.pending = pending
        self.state: dict[str, Any] = copy.deepcopy(workflow.initial_state)
        self.asked: dict[int, _Asked] = {}
        self.states: dict[int, dict[str, Any]] = {}
        self._waiting: int | None = None
        # (step, module) -> the question just answered there: its outputs follow.
        self._answered: dict[tuple, int] = {}
        for event in events:
            self._fold(event)

    def _fold(self, event: EventRecord) -> None:
        data = event.data
        if event.type == "interaction_requested":
            display = data.get("display") or {}
            question = next((display[k] for k in ("prompt", "title") if isinstance(display.get(k), str)
                             and display[k].strip()), "") or str(event.module or "").replace("_", " ")
            self.asked[event.event_id] = _Asked(event, position(self.workflow, event.step_id, event.module),
                                                " ".join(question.split()))
            self.states[event.event_id] = copy.deepcopy(self.state)
            self._waiting = event.event_id
        elif event.type == "interaction_answered":
            self._answered[(event.step_id, event.module)] = data.get("interaction_id")
            self._waiting = None
        elif event.type == "module_completed":
            self.state[str(event.module)] = copy.deepcopy(data.get("outputs") or {})
            answered = self.asked.get(self._answered.pop((event.step_id, event.module), None) or -1)
            if answered is not None:
                answered.answer = self._answer_text(answered, data.get("outputs") or {})
        elif event.type == "outputs_written":
            self.state.update(copy.deepcopy(data.get("written") or {}))
        elif event.type == "sub_action_completed":
            self.state.update(copy.deepcopy(data.get("mapped") or {}))
            self._leave(f"ran {str(data.get('sub_action') or '').replace('_', ' ')}; asked again")
        elif event.type in REWINDS and data.get("target_step"):
            self._rewind(event)

    def _answer_text(self, asked: _Asked, outputs: dict[str, Any]) -> str:
        si, mi = asked.where
        if si >= len(self.workflow.steps) or mi >= len(self.workflow.steps[si].modules):
            return outputs_text(outputs)
        module = REGISTRY.get(self.workflow.steps[si].modules[mi].module_id)
        display = asked.event.data.get("display") or {}
        return module().answer_text(display, outputs) if module else outputs_text(outputs)

    def _leave(self, how: str) -> None:
        left = self.asked.get(self._waiting or -1)
        if left is not None and not left.answer:
            left.answer = how
        self._waiting = None

    def _rewind(self, event: EventRecord) -> None:
        self._leave(_going_back_text(event))
        target = position(self.workflow, event.data["target_step"], event.data.get("target_module"))
        for asked in self.asked.values():
            if asked.where >= target:
                asked.abandoned = True
        source = event.data.get("from_interaction")
        if event.data.get("mode") == BRANCH_MODE and source in self.states:
            self.state = copy.deepcopy(self.states[source])
        else:
            discard_from(self.workflow, self.state, *target)

    def entries(self) -> list[HistoryEntry]:
        out = []
        for iid, asked in self.asked.items():
            si, _mi = asked.where
            known = si < len(self.workflow.steps)
            waiting = iid == self.pending
            out.append(HistoryEntry(
                interaction_id=iid, step_index=si, step_id=str(asked.event.step_id),
                step_title=self.workflow.step_title(si) if known else str(asked.event.step_id),
                module=str(asked.event.module), question=asked.question,
                answer="waiting for your answer" if waiting else (asked.answer or "left unanswered"),
                asked_at=asked.event.created_at, branch=asked.event.branch, abandoned=asked.abandoned,
                waiting=waiting))
        return out


__all__ = ["HistoryEntry", "Replay", "REWINDS", "BRANCH_MODE", "discard_from", "position"]
