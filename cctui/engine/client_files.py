"""Files that `io.client_write` hands the client to write: the content formatted as the seed
format says, the folder it goes to by default, and the write itself.

In the seed system the client (its TUI) writes the file and confirms; in cctui the app is that
client, and batch mode lets the module write. Both go through `write_client_file`, so the file
is the same whoever writes it. The file goes exactly where the creator chose: the workflow's
`filename` must be a plain name (no folder, no `..`), so it can never lead anywhere else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cctui.engine.errors import AnswerError, ModuleError

MODULE = "io.client_write"
DESTINATIONS = {"root": "", "ws": "ws"}  # the run's folder, or its `ws` subfolder (the seed's workspace)


class WriteError(AnswerError):
    """The file could not be written where asked; the question stays and another place can be chosen."""


def plain_filename(name: Any, where: str) -> str:
    """The workflow's `filename`, refused unless it is a plain file name."""
    if not isinstance(name, str) or not name.strip():
        raise ModuleError(f"{where} ({MODULE}): input `filename` is empty: give a file name such as "
                          f"summary.txt", retryable=False)
    name = name.strip()
    if "/" in name or "\\" in name or "\x00" in name or name in (".", ".."):
        raise ModuleError(f"{where} ({MODULE}): input `filename` {name!r} is not a plain file name (it has a "
                          f"path separator or is '..'): give a name such as summary.txt; the folder is chosen "
                          f"when the file is written", retryable=False)
    return name


def default_folder(run_dir: Path, destination: Any, where: str) -> Path:
    dest = "root" if destination in (None, "") else destination
    if dest not in DESTINATIONS:
        raise ModuleError(f"{where} ({MODULE}): input `destination` is {dest!r}; it must be root (the run's "
                          f"folder) or ws (its ws subfolder)", retryable=False)
    return run_dir / DESTINATIONS[dest] if DESTINATIONS[dest] else run_dir


def format_content(content: Any, filename: str, fmt: Any) -> tuple[str, str]:
    """(the file's text, json | text). Unset, the format follows the name (`.json` is json).
    json: a string that parses as JSON is parsed; the value is written indented (a string that
    does not parse is written as a JSON string). text: `str()` of the value."""
    kind = fmt if isinstance(fmt, str) and fmt else ("json" if filename.lower().endswith(".json") else "text")
    if kind != "json":
        return (content if isinstance(content, str) else str(content)), "text"
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError:
            pass
    return json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n", "json"


def target_path(chosen: str | None, folder: Path, filename: str) -> Path:
    """Where the file goes: the default folder, or the creator's choice (a folder it goes into,
    or a file path). A relative choice is read from the folder cctui was started in."""
    if chosen is None or not chosen.strip():
        return folder / filename
    text = chosen.strip()
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_dir() or text.endswith(("/", os.sep)):
        return path / filename
    return path


def write_client_file(inputs: dict[str, Any], chosen: str | None, run_dir: Path, where: str) -> Path:
    """Write the module's content where the creator chose (or into the default folder); the path written."""
    filename = plain_filename(inputs.get("filename"), where)
    folder = default_folder(run_dir, inputs.get("destination"), where)
    text, _ = format_content(inputs.get("content"), filename, inputs.get("format"))
    try:
        path = target_path(chosen, folder, filename)
        if path.parent == folder:
            folder.mkdir(parents=True, exist_ok=True)  # the run's own folders are made; a creator's are not
        if not path.parent.is_dir():
            raise WriteError(f"{where}: the folder {path.parent} does not exist; create it or choose another place")
        if path.is_dir():
            raise WriteError(f"{where}: {path} is a folder; give a file name or another place")
    except OSError as exc:  # a name too long, a folder that cannot be read
        raise WriteError(f"{where}: {chosen or folder} cannot be used ({exc.strerror or exc}); choose another "
                         f"place") from None
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the write's own error is the one to report
        raise WriteError(f"{where}: {path} cannot be written ({exc.strerror or exc}); choose another place") \
            from None
    return path
