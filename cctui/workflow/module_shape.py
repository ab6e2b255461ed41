"""What the loader checks a step file's module against: the inputs it takes and the outputs it makes.

The engine's modules declare this (see `cctui.engine.modules.contract`) and hand it to
`load_workflow`; this side knows no module, so the workflow layer never imports the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import UnionType
from typing import Any, Callable, Iterator, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from cctui.workflow.refs import LiteralText
from cctui.workflow.templates import is_template

# Every module accepts this: it tells the engine which inputs to render, and is never passed on.
RESOLVER_SCHEMA = "resolver_schema"

Problem = tuple[tuple, str]  # (path below the module spec, reason)


@dataclass(frozen=True)
class ModuleShape:
    """`inputs` has one field per input the module takes (a field without a default is required);
    `outputs` names every output the module returns."""

    module_id: str
    inputs: type[BaseModel]
    outputs: frozenset[str]
    # The module starts generations (sub-actions with an action_type) while its question waits.
    sub_actions: bool = False
    # The module hands back its inputs as outputs (`transform.extract`): it takes any input, and
    # its outputs are the names a step file gives its inputs.
    echoes_inputs: bool = False
    # The module asks the creator (it cannot run in a child run, where nobody is asked).
    asks: bool = False
    # The input naming the action of generations whose sub-action names none (`action_type`).
    action_input: str | None = None
    # The module's own checks of a step file's inputs, beyond their types: (path below the module
    # spec, reason) for each error, and for each warning.
    input_errors: Callable[[dict[str, Any]], Iterator[Problem]] | None = None
    input_warnings: Callable[[dict[str, Any]], Iterator[Problem]] | None = None
    _adapters: dict[str, TypeAdapter] = field(default_factory=dict, compare=False, repr=False)

    def outputs_for(self, inputs: dict[str, Any]) -> frozenset[str]:
        """The outputs of one use of the module, whose step file gives it `inputs`."""
        if not self.echoes_inputs:
            return self.outputs
        return frozenset(k for k in inputs if k != RESOLVER_SCHEMA and not k.startswith("_"))

    @cached_property
    def fields(self) -> dict[str, FieldInfo]:
        """By the name a step file uses (an alias where the name would shadow pydantic's own)."""
        return {info.alias or name: info for name, info in self.inputs.model_fields.items()}

    @cached_property
    def dollar_inputs(self) -> frozenset[str]:
        """Inputs whose templates name their variables `$name` (see `templates.dollar_names`)."""
        return frozenset(name for name, info in self.fields.items()
                         if (info.json_schema_extra or {}).get("dollar_names"))

    def adapter(self, name: str) -> TypeAdapter:
        if name not in self._adapters:
            # Strict: `"false"` for a flag would be read as true by the module, so it is refused here.
            self._adapters[name] = TypeAdapter(self.fields[name].annotation, config=ConfigDict(strict=True))
        return self._adapters[name]


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, LiteralText) and is_template(value)


def _taken(shape: ModuleShape) -> str:
    return ", ".join([*sorted(shape.fields), RESOLVER_SCHEMA])


def input_problems(inputs: dict[str, Any], shape: ModuleShape) -> Iterator[Problem]:
    for key, value in inputs.items():
        if key == RESOLVER_SCHEMA:
            continue
        if key not in shape.fields and not shape.echoes_inputs:
            yield ("inputs", key), (f"module {shape.module_id} takes no input {key!r} (it takes {_taken(shape)}): "
                                    f"remove it or correct its name")
            continue
        if key not in shape.fields or _is_template(value):
            continue  # rendered at run time; a template may stand for a value of any type
        if not _fits(shape.adapter(key), value):
            yield _type_problem(key, value, shape)
    for name, info in shape.fields.items():
        if info.is_required() and name not in inputs:
            yield ("inputs",), (f"module {shape.module_id} needs input {name!r}, which is missing: add it "
                                f"to `inputs`")


_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number", dict: "an object",
          list: "a list", type(None): "null"}


def describe(annotation: Any) -> str:
    """A type as a workflow author reads it: JSON words, not Python's."""
    if annotation is Any:
        return "any value"
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return " or ".join(dict.fromkeys(describe(a) for a in args))
    if origin is list and args and args[0] is not Any:
        return f"a list whose items are each {describe(args[0])}"
    return _NAMES.get(origin or annotation, str(annotation))


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    return next((name for kind, name in _NAMES.items() if kind is not bool and isinstance(value, kind)),
                type(value).__name__)


def _fits(adapter: TypeAdapter, value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _type_problem(key: str, value: Any, shape: ModuleShape) -> Problem:
    """A wrong item of a list is named by its index; anything else at the input itself."""
    annotation = shape.fields[key].annotation
    item_type = _list_item_type(annotation)
    if isinstance(value, list) and item_type is not None:
        items = TypeAdapter(item_type, config=ConfigDict(strict=True))
        for i, item in enumerate(value):
            if not _is_template(item) and not _fits(items, item):
                return ("inputs", key, i), (f"item {i} of input {key!r} of {shape.module_id} must be "
                                            f"{describe(item_type)}, not {json_type(item)}: {_FIX}")
    return ("inputs", key), f"input {key!r} of {shape.module_id} must be {describe(annotation)}, " \
                            f"not {json_type(value)}: {_FIX}"


_FIX = "give a value of that type, or a {{ }} template that renders to one"


def _list_item_type(annotation: Any) -> Any:
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return next((get_args(m)[0] for m in members if get_origin(m) is list and get_args(m)), None)


def output_problems(outputs_to_state: dict[str, str], shape: ModuleShape,
                    inputs: dict[str, Any]) -> Iterator[Problem]:
    outputs = shape.outputs_for(inputs)
    made = ", ".join(sorted(outputs)) or "no outputs"
    for key in outputs_to_state:
        if key not in outputs:
            yield ("outputs_to_state", key), (f"module {shape.module_id} produces no output {key!r} (it produces "
                                              f"{made}): rename the key to one of those or remove it")
