"""What every module implements, and the registry of module ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from cctui.engine.answer_text import outputs_text
from cctui.engine.modules.contract import ModuleContract
from cctui.workflow.module_shape import ModuleShape

if TYPE_CHECKING:
    from cctui.engine.services import Services
    from cctui.workflow.models import ModuleSpec, Step, Workflow


@dataclass
class ModuleContext:
    run_id: str
    workflow: "Workflow"
    step: "Step"
    step_index: int
    spec: "ModuleSpec"
    state: dict[str, Any]
    services: "Services"
    run_dir: Path
    # Earlier turns for an LLM module re-run with feedback: [{"role", "content"}, ...].
    history: list[dict[str, str]] = field(default_factory=list)
    interaction_id: int | None = None
    # Progress of long work (a render) for whoever watches the engine; never stored.
    report: Callable[[dict[str, Any]], None] = lambda _data: None
    # An output as far as it has arrived (output name, data, schema), for whoever watches; never stored.
    partial: Callable[[str, dict[str, Any], dict[str, Any]], None] = lambda _output, _data, _schema: None

    @property
    def where(self) -> str:
        return f"step {self.step.step_id!r}, module {self.spec.name!r}"

    def template_context(self) -> dict[str, Any]:
        from cctui.workflow.templates import build_context

        step = {"step_id": self.step.step_id, "step_number": self.step_index + 1,
                "name": self.workflow.step_title(self.step_index), "description": self.step.description}
        module = {"name": self.spec.name, "module_id": self.spec.module_id}
        return build_context(self.state, step, module, self.workflow.config, lenient=self.workflow.lenient)


class Module:
    module_id: ClassVar[str]
    contract: ClassVar[ModuleContract]
    # Both set from the contract by `register`, so that there is one declaration to keep true.
    interactive: ClassVar[bool] = False
    kind: ClassVar[str] = "task"  # the contract's view (select | text_input | media | assemble), or task

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run a non-interactive module and return its outputs."""
        raise NotImplementedError

    async def prepare(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        """Work an interactive module does once, before it asks (an LLM answer it asks about).
        What it returns is stored as the interaction's inputs, so answering, a sub-action or a
        reopened run reads that and the work is never done again."""
        return inputs

    def answer_text(self, display: dict[str, Any], outputs: dict[str, Any]) -> str:
        """One line of what the creator's answer made (`outputs`), for the run's history."""
        return outputs_text(outputs)

    def earlier_answer(self, inputs: dict[str, Any]) -> str | None:
        """What `prepare` got from a model, as text: the assistant turn of a retry's history."""
        return None

    def generation(self, inputs: dict[str, Any], sub: Any, tab: str,
                   values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """(action, provider parameters) of a generation a sub-action starts on `tab` with the
        form's checked `values`. Raises AnswerError when the tab cannot generate."""
        return sub.action_type, values

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        """The display data of an interaction request (interactive modules)."""
        raise NotImplementedError

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        """Check an answer to the interaction and return the module's outputs."""
        raise NotImplementedError


REGISTRY: dict[str, type[Module]] = {}


def register(cls: type[Module]) -> type[Module]:
    if not isinstance(cls.__dict__.get("contract"), ModuleContract):
        raise TypeError(f"module {cls.module_id} declares no contract")
    cls.interactive = cls.contract.interactive
    cls.kind = cls.contract.view or "task"
    REGISTRY[cls.module_id] = cls
    return cls


def shapes() -> dict[str, ModuleShape]:
    """What the workflow loader checks each step file's modules against."""
    return {module_id: cls.contract.shape(module_id) for module_id, cls in REGISTRY.items()}
