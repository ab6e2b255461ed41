"""Errors in a workflow folder, always pointing at a file and a JSON path inside it."""

from __future__ import annotations

from pathlib import Path

from cctui.errors import CctuiError


def json_path(parts: tuple | list) -> str:
    """`("modules", 0, "inputs")` -> `$.modules[0].inputs`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


class WorkflowError(CctuiError):
    hint = "Fix the workflow file, then check it with `cctui validate FOLDER`"

    def __init__(self, file: Path | str, path: str, reason: str):
        self.file = str(file)
        self.path = path
        self.reason = reason
        super().__init__(f"{self.file}: at {path}: {reason}")


class WorkflowErrors(CctuiError):
    """Several independent problems found in one pass, reported together."""

    def __init__(self, errors: list[WorkflowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
