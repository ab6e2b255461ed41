"""A retry option's `validations` (the seed format's rules), checked against the answer the
option is taken with before anything happens."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import AnswerError, ConfirmNeeded
from cctui.workflow.models import RetryOption, Validation


def passes(check: Validation, answer: dict[str, Any]) -> bool:
    value = answer.get(check.field) if check.field else None
    if check.rule == "response_field_required":
        return value is not None
    if check.rule == "response_field_not_empty":
        return bool(value) if not isinstance(value, (list, dict)) else len(value) > 0
    if check.rule == "response_field_equals":
        return value == check.value
    # min_selections: how many items the answer chose (its field, else the usual selection key).
    chosen = answer.get(check.field or "selected_indices")
    return len(chosen if isinstance(chosen, (list, tuple)) else [] if chosen is None else [chosen]) >= (check.min or 0)


def enforce(option: RetryOption, response: dict[str, Any], confirmed: list[str]) -> None:
    """Error checks block the option; warning checks not yet confirmed ask for confirmation.

    `response` is the answer with the module's outputs over it, so a check on a response field
    the seed system's client sends (`selected_content_id`, `generations`) reads what cctui made
    of the answer."""
    failed = next((c for c in option.validations if c.severity == "error" and not passes(c, response)), None)
    if failed is not None:
        raise AnswerError(f"{option.label}: {failed.message}")
    unconfirmed = [(c.id, c.message) for c in option.validations
                   if c.severity == "warning" and c.id not in confirmed and not passes(c, response)]
    if unconfirmed:
        raise ConfirmNeeded(unconfirmed)
