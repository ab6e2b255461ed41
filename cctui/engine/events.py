"""Typed engine events: what a client (the app, a test) hears about a run.

A `Run` is given a sink and hands it these only after the transaction that wrote the change has
committed (`Store.after_commit`), so a listener never sees a change that is then rolled back.
They are notices, not data: a listener reads what it shows from the run or an engine query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from cctui.records import JobStatus, RunStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineEvent:
    run_id: str


@dataclass(frozen=True)
class RunStarted(EngineEvent):
    pass


@dataclass(frozen=True)
class ModuleEvent(EngineEvent):
    """About one module of the run (its step and name)."""

    step_id: str
    module: str


@dataclass(frozen=True)
class ModuleStarted(ModuleEvent):
    module_id: str


@dataclass(frozen=True)
class ModuleFinished(ModuleEvent):
    pass


@dataclass(frozen=True)
class ModuleFailed(ModuleEvent):
    message: str


@dataclass(frozen=True)
class InteractionWaiting(ModuleEvent):
    interaction_id: int


@dataclass(frozen=True)
class RunMoved(ModuleEvent):
    """Retry, jump or go back: the run continues from this (earlier) module."""


@dataclass(frozen=True)
class RunFinished(EngineEvent):
    status: RunStatus


@dataclass(frozen=True)
class JobChanged(EngineEvent):
    job_id: str
    status: JobStatus
    progress: float | None
    interaction_id: int | None


@dataclass(frozen=True)
class RenderProgress(ModuleEvent):
    """Long work inside a module (a render): never stored, so it is delivered at once."""

    phase: str
    fraction: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class PartialAnswer(ModuleEvent):
    """An answer still arriving (an LLM's, streamed): what of it can be read so far, and the
    schema it is being written to. Never stored and delivered at once; the module's stored
    output is the whole answer, checked, as `ModuleFinished` announces."""

    output: str  # which of the module's outputs it is
    data: dict[str, Any]
    schema: dict[str, Any]


EventSink = Callable[[EngineEvent], None]


def safe_sink(listeners: "list[EventSink]") -> EventSink:
    """One sink that hands an event to every listener; a broken listener is logged, never
    allowed to break the run that produced the event."""
    def deliver(event: EngineEvent) -> None:
        for listener in list(listeners):
            try:
                listener(event)
            except Exception:
                log.exception("engine listener failed on %s", type(event).__name__)
    return deliver


__all__ = ["EngineEvent", "ModuleEvent", "RunStarted", "ModuleStarted", "ModuleFinished", "ModuleFailed", "InteractionWaiting",
           "RunMoved", "RunFinished", "JobChanged", "RenderProgress", "PartialAnswer", "EventSink", "safe_sink"]
