"""Keys of the seed system's format that cctui reads but does not act on (yet), and the ones a
module cannot do without: `cctui validate` reports the first as warnings naming each key, the
second as errors. Nothing here is silently dropped where it would change what a run does."""

from __future__ import annotations

from typing import Iterator

from collections.abc import Mapping

from cctui.workflow.models import ModuleSpec, Workflow
from cctui.workflow.module_shape import ModuleShape

# Sub-action action types cctui carries out: running other modules as a child run, and a
# generation module's own generation.
KNOWN_ACTIONS = ("target_sub_action", "self_sub_action")

Found = tuple[tuple, str]  # (path in the resolved workflow, reason)


def child_problems(wf: Workflow, mod: ModuleSpec, at: tuple, shapes: Mapping[str, ModuleShape]) -> Iterator[Found]:
    """Errors: each module a child run runs exists and does not ask the creator (nobody is asked
    in a child run)."""
    for i, sub in enumerate(mod.sub_actions):
        for ai, action in enumerate(sub.actions):
            if action.get("type") != "target_sub_action":
                continue
            ap = at + ("sub_actions", i, "actions", ai, "ref")
            ref = action.get("ref") if isinstance(action.get("ref"), dict) else {}
            si = wf.step_index(str(ref.get("step_id", "")))
            if si is None:
                yield ap + ("step_id",), f"no step with step_id {ref.get('step_id')!r} to run in a child run"
                continue
            mi = wf.steps[si].module_index(str(ref.get("module_name", "")))
            if mi is None:
                yield (ap + ("module_name",),
                       f"no module named {ref.get('module_name')!r} in step {ref.get('step_id')!r}")
                continue
            shape = shapes.get(wf.steps[si].modules[mi].module_id)
            if shape is not None and shape.asks:
                yield (ap + ("module_name",), f"module {ref.get('module_name')!r} asks the creator, which a child "
                                              f"run cannot do: run only modules that do not ask")


def sub_action_problems(mod: ModuleSpec, at: tuple, shape: ModuleShape) -> Iterator[Found]:
    """Errors: a module that starts generations needs each sub-action's `action_type`, unless
    one of its inputs names the action."""
    if not shape.sub_actions or shape.action_input:
        return
    for i, sub in enumerate(mod.sub_actions):
        if not sub.action_type and not sub.child_modules():
            yield (at + ("sub_actions", i),
                   f"sub-action {sub.id!r} names no action_type (txt2img, img2vid, txt2music ...); "
                   f"{mod.module_id} starts its generations by it: add one")


def not_acted_on(wf: Workflow) -> Iterator[Found]:
    """Warnings, one per key a step file uses that changes behaviour in the seed system and that
    cctui does not carry out."""
    for si, step in enumerate(wf.steps):
        for mi, mod in enumerate(step.modules):
            at = ("steps", si, "modules", mi)
            for i, sub in enumerate(mod.sub_actions):
                sp = at + ("sub_actions", i)
                for ai, action in enumerate(sub.actions):
                    if action.get("type") not in KNOWN_ACTIONS:
                        yield (sp + ("actions", ai, "type"),
                               f"sub-action {sub.id!r}: action type {action.get('type')!r} is not done by cctui "
                               f"(it runs {' and '.join(sorted(KNOWN_ACTIONS))})")
                child = bool(sub.child_modules())
                if sub.result_mapping and not child:
                    yield (sp + ("result_mapping",), f"sub-action {sub.id!r}: `result_mapping` maps a child run's "
                                                     f"results, and this sub-action runs no other module")
                if sub.feedback is not None and sub.feedback.enabled and not child:
                    yield (sp + ("feedback",), f"sub-action {sub.id!r}: cctui asks for feedback only before a "
                                               f"child run")
                if sub.shortcut and not child:
                    yield (sp + ("shortcut",), f"sub-action {sub.id!r}: shortcut {sub.shortcut!r} is not bound "
                                               f"by cctui (g generates on the media screen)")
            for key in ("retry_trigger_keyword", "retry_options"):
                if key in mod.inputs:
                    yield (at + ("inputs", key), f"input {key!r} (retry by typing a keyword) is not done by cctui; "
                                                 f"the creator retries through the step's options (o)")
            if mod.retryable is not None and mod.retryable.feedback:
                yield (at + ("retryable", "feedback"),
                       "retryable.feedback (per-group feedback of review mode) is not used by cctui; each "
                       "option's own feedback is")
            if mod.inputs.get("mode") == "review" and mod.module_id == "user.select":
                yield (at + ("inputs", "mode"), "mode \"review\" (a grouped review with feedback per group) is "
                                                 "asked as a plain select by cctui")
            ai_config = mod.inputs.get("ai_config")
            for key in sorted(ai_config if isinstance(ai_config, dict) else {}):
                if key not in ("provider", "model"):
                    yield (at + ("inputs", "ai_config", key), f"ai_config.{key} is not sent by cctui (it uses "
                                                              f"ai_config's provider and model)")


def input_warnings(wf: Workflow, shapes: Mapping[str, ModuleShape]) -> Iterator[Found]:
    """Warnings each module has about its own inputs (a provider cctui cannot generate with)."""
    for si, step in enumerate(wf.steps):
        for mi, mod in enumerate(step.modules):
            shape = shapes.get(mod.module_id)
            if shape is not None and shape.input_warnings is not None:
                for path, reason in shape.input_warnings(mod.inputs):
                    yield ("steps", si, "modules", mi) + path, reason
