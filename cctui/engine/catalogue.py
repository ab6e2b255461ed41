"""The workflows cctui knows: the bundled ones, those in the user's `workflows` folders (config
and data directory) and any opened with `--workflow`. Each is listed whether it loads or not: one
that does not carries its first problem, so a list can say why it cannot start a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cctui.settings import Settings, config_path
from cctui.workflow.errors import WorkflowError, WorkflowErrors
from cctui.workflow.files import WORKFLOW_GLOB

# Shipped beside the package in a checkout (`workflows/cc`, ...).
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "workflows"


@dataclass(frozen=True)
class KnownWorkflow:
    folder: Path  # resolved
    workflow_id: str  # the folder's name when it does not load
    name: str
    problem: str = ""  # the first problem when it does not load

    @property
    def loads(self) -> bool:
        return not self.problem


def user_workflow_dirs(settings: Settings) -> list[Path]:
    return [config_path().parent / "workflows", settings.data_dir / "workflows"]


def _first_problem(exc: WorkflowError | WorkflowErrors) -> str:
    first = exc.errors[0] if isinstance(exc, WorkflowErrors) and exc.errors else exc
    return (str(first).splitlines() or [type(exc).__name__])[0]


def describe(folder: Path) -> KnownWorkflow:
    """The workflow in `folder`, loaded and checked (see `engine.load`)."""
    from cctui.engine.engine import load  # the engine imports every module; this module stays light

    folder = folder.expanduser().resolve()
    try:
        workflow = load(folder)
    except (WorkflowError, WorkflowErrors) as exc:
        return KnownWorkflow(folder, folder.name, folder.name, _first_problem(exc))
    except OSError as exc:
        return KnownWorkflow(folder, folder.name, folder.name, f"{folder}: cannot be read ({exc.strerror or exc})")
    return KnownWorkflow(folder, workflow.workflow_id, workflow.name or workflow.workflow_id)


def _holds_workflow(folder: Path) -> bool:
    try:
        return folder.is_dir() and any(p.is_file() for p in folder.glob(WORKFLOW_GLOB))
    except OSError:
        return True  # listed, so that its load says what cannot be read


def _sub_folders(parent: Path) -> Iterable[Path]:
    try:
        children = sorted(parent.iterdir()) if parent.is_dir() else []
    except OSError:  # an unreadable workflows folder is named, not skipped without a word
        yield parent
        return
    yield from (child for child in children if _holds_workflow(child))


class Catalogue:
    """Scanned again on every `known()`: a folder added or fixed while the app runs shows up."""

    def __init__(self, *, bundled: Iterable[Path] = (BUNDLED_DIR,), user_dirs: Iterable[Path] = (),
                 opened: Iterable[Path] = ()):
        self.bundled = list(bundled)
        self.user_dirs = list(user_dirs)
        self.opened = [Path(folder) for folder in opened]

    @classmethod
    def for_settings(cls, settings: Settings, opened: Iterable[Path] = ()) -> "Catalogue":
        return cls(user_dirs=user_workflow_dirs(settings), opened=opened)

    def folders(self) -> list[Path]:
        found = [folder for parent in self.bundled + self.user_dirs for folder in _sub_folders(parent)]
        seen: set[Path] = set()
        out = []
        for folder in found + self.opened:
            resolved = folder.expanduser().resolve()
            if resolved not in seen:
                seen.add(resolved)
                out.append(resolved)
        return out

    def known(self) -> list[KnownWorkflow]:
        return [describe(folder) for folder in self.folders()]


__all__ = ["BUNDLED_DIR", "Catalogue", "KnownWorkflow", "describe", "user_workflow_dirs"]
