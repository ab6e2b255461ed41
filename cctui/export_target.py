"""Where an export may go: never over what cctui or a run owns, never over a folder export did not
make, and only into a folder it can write. Only an earlier export of the same run (or an empty
folder) is ever swapped out, and a killed export's hidden leftovers are cleaned by the next one."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from cctui.errors import CctuiError
from cctui.store.db import Store


class ExportError(CctuiError):
    pass


def _files_of(value: Any, found: set[Path]) -> None:
    # Any absolute path in a run's state that names an existing file is something the run owns or
    # uses (renders, clips, images, music, possibly the user's own music file): never swap it out.
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            _files_of(item, found)
    elif isinstance(value, str) and value.startswith(os.sep) and os.path.isfile(value):
        found.add(Path(value).resolve())


async def check_target(store: Store, target: Path, data_dir: Path) -> Path:
    """Refuse a user-chosen bundle folder that would swap out cctui's own files; returns it resolved.

    Resolved first, so a symlink into the data dir is judged by where it points. The one folder
    inside the runs folder that export may write is the run's own `export`, which the CLI picks
    itself when no DIR is given, so this is only for a DIR the user names."""
    real = Path(target).expanduser().resolve()
    data = Path(data_dir).expanduser().resolve()
    runs = data / "runs"
    if real == data or real in data.parents:
        raise ExportError(f"{real} holds cctui's data folder {data}; export would replace it. "
                          f"Choose a folder outside {data}")
    if real == runs or runs in real.parents:
        raise ExportError(f"{real} is inside cctui's runs folder {runs}, where run media lives. "
                          f"Choose a folder outside {data}, or leave out DIR to use the run's export folder")
    for row in await store.list_runs(limit=1_000_000):
        found: set[Path] = set()
        _files_of(row.state, found)
        for path in sorted(found):
            if real in path.parents:
                raise ExportError(f"{real} holds media of run {row.run_id} ({path}); export would replace it. "
                                  "Choose a folder that holds no run's files")
    return real


def prepare(target: Path, run_id: str) -> None:
    """Refuse a place export cannot write or a folder it did not make; clean a killed export's leftovers.

    The bundle always goes in a folder of its own (DIR/RUN_ID, or the run's `export`), so the one
    existing folder a user expects to be replaced is an earlier export of the same run; an empty
    folder has nothing to lose. Anything else there is the user's: refuse rather than swap it out."""
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ExportError(f"{probe} is a file, not a folder. Choose a folder to export into")
    if target.is_dir() and any(target.iterdir()) and not _is_export_of(target, run_id):
        raise ExportError(f"{target} already exists and is not an export of run {run_id}. "
                          "Remove or rename it, or choose another folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {target.parent} ({exc.strerror}). Choose a folder you can write to") from None
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write in {target.parent}. Choose a folder you can write to")
    # Only names export itself makes (see export_run), real folders, never a symlink's target.
    own = re.compile(rf"\.{re.escape(target.name)}\.(part|old)-[0-9a-f]{{6}}")
    for leftover in target.parent.iterdir():
        if own.fullmatch(leftover.name) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def _is_export_of(folder: Path, run_id: str) -> bool:
    try:
        return json.loads((folder / "run.json").read_text(encoding="utf-8")).get("run_id") == run_id
    except (OSError, ValueError, AttributeError):
        return False
