"""The engine's typed events as Textual messages (the app posts one to each screen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the engine's events module comes with the engine, after the first paint
    from cctui.engine.events import EngineEvent


# The app hands a copy to each screen: a screen that does not handle it must not send it back up.
class RunEvent(Message, bubble=False):
    """Something happened in a run; `event` says what (`cctui.engine.events`)."""

    def __init__(self, event: EngineEvent):
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A burst of progress for the same job, or of an answer arriving for the same module,
        # collapses into one repaint (each part holds all of the answer so far).
        if not isinstance(message, RunEvent):
            return False
        from cctui.engine.events import JobChanged, PartialAnswer  # imported: an event exists
        new, old = self.event, message.event
        if isinstance(new, JobChanged) and isinstance(old, JobChanged):
            return old.job_id == new.job_id
        if isinstance(new, PartialAnswer) and isinstance(old, PartialAnswer):
            return (old.run_id, old.step_id, old.module) == (new.run_id, new.step_id, new.module)
        return False
