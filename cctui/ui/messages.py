"""The engine's typed events as Textual messages (the app posts one to each screen)."""

from __future__ import annotations

from textual.message import Message

from cctui.engine.events import EngineEvent, JobChanged


# The app hands a copy to each screen: a screen that does not handle it must not send it back up.
class RunEvent(Message, bubble=False):
    """Something happened in a run; `event` says what (`cctui.engine.events`)."""

    def __init__(self, event: EngineEvent):
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A burst of progress for the same job collapses into one repaint.
        return (isinstance(message, RunEvent) and isinstance(self.event, JobChanged)
                and isinstance(message.event, JobChanged) and message.event.job_id == self.event.job_id)
