"""A paused module waiting for the creator, as the UI and batch mode see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cctui.workflow.models import Retryable, SubAction


@dataclass
class Interaction:
    interaction_id: int
    run_id: str
    step_id: str
    step_index: int
    step_title: str
    module_name: str
    module_id: str
    kind: str  # the view its module's contract declares: select | text_input | media | assemble
    display: dict[str, Any]
    resolved_inputs: dict[str, Any]
    retryable: Retryable | None = None
    sub_actions: list[SubAction] = field(default_factory=list)
