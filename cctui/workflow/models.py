"""Typed models of a resolved workflow: workflow, step, module spec, retry options, sub-actions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from cctui.workflow.results import Result


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Feedback(_Model):
    enabled: bool = False
    prompt: str = "What should be different?"
    default_message: str = ""


class Validation(_Model):
    """A check on the answer before a retry option is taken (the seed format's `validations`)."""

    id: str
    rule: Literal["response_field_required", "response_field_not_empty", "response_field_equals",
                  "min_selections"]
    message: str
    field: str | None = None
    # `error` refuses the option; `warning` asks the creator to confirm first.
    severity: Literal["error", "warning"] = "error"
    # Where the seed system checks it ("webui", "server"); cctui checks every one in the engine.
    validator: list[str] = Field(default_factory=lambda: ["webui", "server"])
    value: Any = None
    min: int | None = None


class RetryOption(_Model):
    id: str
    label: str
    mode: Literal["continue", "retry", "jump"]
    shortcut: str | None = None
    target_module: str | None = None
    target_step: str | None = None
    feedback: Feedback | None = None
    # Not shown in the options menu (still taken by its id, e.g. from an answers file).
    hidden: bool = False
    validations: list[Validation] = Field(default_factory=list)


class Retryable(_Model):
    default_option: str | None = None
    options: list[RetryOption] = Field(default_factory=list)
    # The seed format's: `hidden` hides the whole options bar; `feedback` ({global, per_group})
    # is a review-mode setting cctui does not act on (validate says so).
    hidden: bool = False
    feedback: dict[str, Any] | None = None

    def option(self, option_id: str) -> RetryOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def going_on(self) -> RetryOption | None:
        """The option a plain answer takes (its checks apply to it): the default one when it
        continues, else the first that continues."""
        default = self.option(self.default_option) if self.default_option else None
        if default is not None and default.mode == "continue":
            return default
        return next((o for o in self.options if o.mode == "continue"), None)

    def shown(self) -> list[RetryOption]:
        """The options a client lists: none when the bar is hidden, never a hidden one."""
        return [] if self.hidden else [o for o in self.options if not o.hidden]


class SubActionFeedback(_Model):
    enabled: bool = False
    prompt: str = "What should be different?"
    default_message: str = ""
    state_key: str = "_retry_feedback"


class ResultMapping(_Model):
    """A value a child run made, copied into the run's state: `source` and `target` are dotted
    paths; `merge` appends a list to the list already there."""

    source: str
    target: str
    mode: Literal["replace", "merge"] = "replace"


class SubAction(_Model):
    """Work started while the question waits: a generation (cctui's and the seed's legacy shape
    name its `action_type`; the seed's current shape says `self_sub_action`), or other modules of
    the workflow run as a hidden child run (`target_sub_action`), mapped back by `result_mapping`."""

    id: str
    label: str
    action_type: str | None = None
    loading_label: str = "Working..."
    result_key: str = "generations"
    shortcut: str | None = None
    hidden: bool = False
    actions: list[dict[str, Any]] = Field(default_factory=list)
    result_mapping: list[ResultMapping] = Field(default_factory=list)
    feedback: SubActionFeedback | None = None

    def child_modules(self) -> list[tuple[str, str]]:
        """(step_id, module name) of each module a child run runs, in order; empty for a generation."""
        out = []
        for action in self.actions:
            ref = action.get("ref") if action.get("type") == "target_sub_action" else None
            if isinstance(ref, dict):
                out.append((str(ref.get("step_id", "")), str(ref.get("module_name", ""))))
        return out


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

    def state_keys(self) -> list[str]:
        """Every state key the module writes: its name (its raw outputs live there, as in the
        seed system, so `state.<module>.<output>` reads them) and the keys it maps outputs to."""
        return [self.name, *(k for k in self.outputs_to_state.values() if k != self.name)]


class Step(_Model):
    step_id: str
    name: str
    description: str = ""
    modules: list[ModuleSpec]

    def module_index(self, name: str) -> int | None:
        return next((i for i, m in enumerate(self.modules) if m.name == name), None)


class StatusField(_Model):
    """cctui's list shape: shown in order, empty while the state it reads is not yet written."""
    label: str
    template: str


class LaidOutField(_Model):
    """A field of the seed system's shape; `value` is a template."""
    id: str
    label: str
    value: str


class StatusLayout(_Model):
    """The seed system's shape: fields named by id, shown in `layout`'s rows (all fields, in order,
    when there is no layout). A field is dropped while it renders empty, None or fails."""
    fields: list[LaidOutField] = Field(default_factory=list)
    layout: list[list[str]] = Field(default_factory=list)

    def templates(self) -> list["StatusTemplate"]:
        """In layout order, each with its row; without a layout, all on one row."""
        if not self.layout:
            return [StatusTemplate(f.label, f.value, True) for f in self.fields]
        by_id = {f.id: f for f in self.fields}
        return [StatusTemplate(by_id[i].label, by_id[i].value, True, r)
                for r, row in enumerate(self.layout) for i in row if i in by_id]


def _status_shape(value: Any) -> str | None:
    if isinstance(value, (dict, StatusLayout)):
        return "layout"
    if isinstance(value, list):
        return "list"
    return None


# The tag picks one shape, so a mistake is reported against that shape alone; the loader drops
# the tag from the error's JSON path.
STATUS_SHAPE_TAGS = ("list", "layout")
StatusDisplay = Annotated[
    Union[Annotated[list[StatusField], Tag("list")], Annotated[StatusLayout, Tag("layout")]],
    Discriminator(_status_shape, custom_error_type="status_display_shape",
                  custom_error_message="status_display must be a list of {label, template} or an object "
                                       "{fields: [{id, label, value}], layout: [[ids]]}"),
]


@dataclass(frozen=True)
class StatusTemplate:
    label: str
    template: str
    drop_when_empty: bool
    row: int = 0  # the line of the status bar it is on (the seed's `layout`)


class Workflow(_Model):
    workflow_id: str
    name: str
    version: int | str = 1
    description: str = ""
    initial_state: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    status_display: StatusDisplay = Field(default_factory=list)
    steps: list[Step]
    results: list[Result] = Field(default_factory=list)
    # What a template reading a path nothing set does: "empty" renders it as nothing (the seed
    # system's way, which its workflows rely on), "error" stops with the path named (cctui's own).
    undefined_paths: Literal["empty", "error"] = "empty"
    # Set by the loader, not read from JSON.
    root: Path = Field(default=Path("."), exclude=True)
    module_files: dict[tuple[int, int], tuple[str, str]] = Field(default_factory=dict, exclude=True)
    # What `cctui validate` prints as warnings: keys the workflow uses that cctui does not act on.
    warnings: list[Any] = Field(default_factory=list, exclude=True)

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @property
    def lenient(self) -> bool:
        return self.undefined_paths == "empty"

    def module_file(self, si: int, mi: int) -> str:
        """"steps/2_x/step.json at $.modules[0]": where the module at (si, mi) is written."""
        file, path = self.module_files.get((si, mi), ("", ""))
        return f"{file} at {path}" if file else ""

    def step_index(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.step_id == step_id), None)

    def status_templates(self) -> list[StatusTemplate]:
        """The status fields in display order, in either shape."""
        if isinstance(self.status_display, StatusLayout):
            return self.status_display.templates()
        return [StatusTemplate(f.label, f.template, False) for f in self.status_display]

    def step_title(self, index: int) -> str:
        # `{step_number}` in a name is plain formatting, not Jinja.
        return self.steps[index].name.replace("{step_number}", str(index + 1))
