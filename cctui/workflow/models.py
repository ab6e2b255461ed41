"""Typed models of a resolved workflow: workflow, step, module spec, retry options, sub-actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cctui.workflow.results import Result


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Feedback(_Model):
    enabled: bool = False
    prompt: str = "What should be different?"
    default_message: str = ""


class RetryOption(_Model):
    id: str
    label: str
    mode: Literal["continue", "retry", "jump"]
    shortcut: str | None = None
    target_module: str | None = None
    target_step: str | None = None
    feedback: Feedback | None = None


class Retryable(_Model):
    default_option: str | None = None
    options: list[RetryOption] = Field(default_factory=list)

    def option(self, option_id: str) -> RetryOption | None:
        return next((o for o in self.options if o.id == option_id), None)


class SubAction(_Model):
    id: str
    label: str
    action_type: str
    loading_label: str = "Working..."
    result_key: str = "generations"


class ModuleSpec(_Model):
    module_id: str
    name: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs_to_state: dict[str, str] = Field(default_factory=dict)
    sub_actions: list[SubAction] = Field(default_factory=list)
    retryable: Retryable | None = None
    description: str | None = None

    def server_resolved(self) -> set[str]:
        schema = self.inputs.get("resolver_schema") or {}
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        return {k for k, v in props.items() if isinstance(v, dict) and v.get("resolver") == "server"}


class Step(_Model):
    step_id: str
    name: str
    description: str = ""
    modules: list[ModuleSpec]

    def module_index(self, name: str) -> int | None:
        return next((i for i, m in enumerate(self.modules) if m.name == name), None)


class StatusField(_Model):
    label: str
    template: str


class Workflow(_Model):
    workflow_id: str
    name: str
    version: int | str = 1
    description: str = ""
    initial_state: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    status_display: list[StatusField] = Field(default_factory=list)
    steps: list[Step]
    results: list[Result] = Field(default_factory=list)
    # Set by the loader, not read from JSON.
    root: Path = Field(default=Path("."), exclude=True)

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    def step_index(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.step_id == step_id), None)

    def step_title(self, index: int) -> str:
        # `{step_number}` in a name is plain formatting, not Jinja.
        return self.steps[index].name.replace("{step_number}", str(index + 1))
