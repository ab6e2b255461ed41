"""A retry option's `validations` (the seed format's rules), checked against the answer the
option is taken with before anything happens."""

from __future__ import annotations

from typing import Any

from cctui.workflow.models import Validation


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
