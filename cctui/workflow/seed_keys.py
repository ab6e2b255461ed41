"""Keys of the seed system's format that cctui reads but does not act on (yet), and the ones a
module cannot do without: `cctui validate` reports the first as warnings naming each key, the
second as errors. Nothing here is silently dropped where it would change what a run does."""

from __future__ import annotations

from typing import Iterator

from cctui.workflow.models import ModuleSpec, Workflow

Found = tuple[tuple, str]  # (path in the resolved workflow, reason)


def sub_action_problems(mod: ModuleSpec, at: tuple, starts_generations: bool) -> Iterator[Found]:
    """Errors: a module that starts generations needs each sub-action's `action_type`."""
    for i, sub in enumerate(mod.sub_actions):
        if starts_generations and not sub.action_type:
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
                if sub.actions:
                    yield (sp + ("actions",),
                           f"sub-action {sub.id!r}: `actions` (running other modules as a child run) is not "
                           f"done by cctui yet; the sub-action is not offered")
                if sub.result_mapping:
                    yield (sp + ("result_mapping",), f"sub-action {sub.id!r}: `result_mapping` is not done by "
                                                     f"cctui yet")
                if sub.feedback is not None and sub.feedback.enabled:
                    yield (sp + ("feedback",), f"sub-action {sub.id!r}: its feedback box is not shown by cctui yet")
                if sub.shortcut:
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
