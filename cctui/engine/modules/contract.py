"""Each module's declaration: the inputs it takes, the outputs it makes, whether it asks the
creator, the view that shows the question and the answer it takes.

The loader checks step files against it (as a `ModuleShape`), batch mode checks answers files
against it, and the UI picks its view from it; none of them knows a module by its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cctui.workflow.module_shape import ModuleShape

# How an answer's item number is described in a message (the answers file counts from 0 too).
INDEX = "an item number or a list of item numbers (from 0)"


class Inputs(BaseModel):
    """Base of a module's inputs: an unknown input is an error (the loader names it)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Answer(BaseModel):
    """Base of an answer shape: `respond()` reads these keys and no others."""

    model_config = ConfigDict(extra="forbid", strict=True)


def shown(default: Any) -> Any:
    """An input shown to the creator as it is written (a prompt, a title), not resolved by the engine."""
    return Field(default, json_schema_extra={"display_only": True})


def dollar_template(default: Any = ...) -> Any:
    """An input of templates the module renders itself, whose variables are written `$name` (the
    seed's `transform.reshape`): the loader checks them as the module reads them."""
    return Field(default, json_schema_extra={"dollar_names": True})


class NoInputs(Inputs):
    pass


@dataclass(frozen=True)
class ModuleContract:
    inputs: type[Inputs]
    # Every one of these is in every result (a value may be null, e.g. a skipped generation).
    outputs: frozenset[str]
    # The view a client shows the question in (select, text_input, media, assemble in the TUI); a
    # client without it shows an error. None: the module never asks the creator.
    view: str | None = None
    answer: type[Answer] | None = None
    # The module starts generations (sub-actions) while its question waits.
    sub_actions: bool = False
    # What a client says while the module works ("Preparing scene prompts...").
    working: str = "Preparing"
    # The outputs are the inputs a step file gives it, those not starting with `_` (`outputs` is
    # then empty): a module that only names values for the state.
    echoes_inputs: bool = False
    # The input that names the action of the module's generations, when its sub-actions name none.
    action_input: str | None = None
    # The module's own checks of a step file's inputs (values a type cannot say are wrong): the
    # errors refuse the workflow, the warnings are `cctui validate`'s; (path below the module, reason).
    input_errors: Callable[[dict[str, Any]], Iterator[tuple[tuple, str]]] | None = None
    input_warnings: Callable[[dict[str, Any]], Iterator[tuple[tuple, str]]] | None = None

    def __post_init__(self):
        if (self.view is None) != (self.answer is None):
            raise TypeError("a module that asks the creator declares both a view and an answer shape")

    @property
    def interactive(self) -> bool:
        return self.view is not None

    @property
    def display_only(self) -> frozenset[str]:
        return frozenset(info.alias or name for name, info in self.inputs.model_fields.items()
                         if (info.json_schema_extra or {}).get("display_only"))

    @property
    def answer_keys(self) -> frozenset[str]:
        return frozenset(self.answer.model_fields) if self.answer else frozenset()

    def shape(self, module_id: str) -> ModuleShape:
        return ModuleShape(module_id=module_id, inputs=self.inputs, outputs=self.outputs,
                           sub_actions=self.sub_actions, echoes_inputs=self.echoes_inputs, asks=self.interactive,
                           action_input=self.action_input, input_errors=self.input_errors,
                           input_warnings=self.input_warnings)

    def answer_problem(self, answer: dict[str, Any]) -> tuple[str, str] | None:
        """The first key of `answer` that does not fit the answer shape, and why; None if it fits."""
        if self.answer is None:
            return None
        try:
            self.answer.model_validate(answer)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else "$"
            info = self.answer.model_fields.get(key)
            return key, (f"must be {info.description}, not {_json_name(answer.get(key))}"
                         if info is not None and info.description else first["msg"])
        return None


def _json_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__
