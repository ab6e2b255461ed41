"""Typed messages from the engine to the screens."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class EngineEvent(Message):
    """Something happened in a run (an event written, a job progressed)."""

    def __init__(self, event: dict[str, Any]):
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A burst of job progress for the same job collapses into one repaint.
        return (isinstance(message, EngineEvent) and self.event.get("type") == "job"
                and message.event.get("type") == "job" and message.event.get("job_id") == self.event.get("job_id"))
