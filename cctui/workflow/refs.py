"""`$ref` resolution: one workflow folder's JSON files and prompts become one tree.

Besides the tree, resolution returns where each container and string came from (file and JSON
path inside that file), so later checks on the merged tree can still name the file a creator
must open.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cctui.workflow.errors import WorkflowError, json_path

REF_TYPES = ("json", "text", "jinja2")
# Deeper than this is no workflow anyone writes; refusing it early keeps every later recursive
# pass (resolution, checks, json.dumps of inputs) far from Python's recursion limit.
MAX_DEPTH = 64


def _short(value: str, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


class LiteralText(str):
    """Text loaded from a `type: text` ref: shown and sent as is, never rendered as a template."""


class TemplateText(str):
    """Text loaded from a `type: jinja2` ref; remembers its file for error messages."""

    source: str = ""


Origin = tuple[Path, tuple]  # (file, path inside that file)


class RefResolver:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.origins: dict[tuple, Origin] = {}

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def load_json(self, file: Path, ref_chain: tuple[Path, ...] = ()) -> Any:
        data = self._parse_json(file)
        return self._walk(data, file, (), (), ref_chain + (file.resolve(),))

    def _parse_json(self, file: Path) -> Any:
        text = self._read_text(file)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkflowError(
                self.display(file), "$", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise WorkflowError(self.display(file), "$",
                                f"the JSON is nested too deeply to read (at most {MAX_DEPTH} levels)") from None

    def _read_text(self, file: Path) -> str:
        try:
            return file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WorkflowError(self.display(file), "$", "file not found") from None
        except UnicodeDecodeError as exc:
            raise WorkflowError(self.display(file), "$", f"not UTF-8 text ({exc.reason})") from None
        except OSError as exc:  # a directory, no permission, ...
            raise WorkflowError(self.display(file), "$", f"cannot be read: {exc.strerror or exc}") from None

    def _target(self, holder: Path, ref: Any, at: tuple) -> Path:
        if not isinstance(ref, str) or not ref.strip():
            raise WorkflowError(self.display(holder), json_path(at + ("$ref",)), "$ref must be a non-empty path string")
        where = json_path(at + ("$ref",))
        if "\x00" in ref:
            raise WorkflowError(self.display(holder), where, f"$ref {_short(ref)} contains a NUL character")
        base = self.root if ref.startswith("/") else holder.parent
        try:
            target = (base / ref.lstrip("/")).resolve()  # resolve() follows symlinks, so a link out is caught too
            inside = target == self.root or self.root in target.parents
            is_file = inside and target.is_file()
        except (OSError, RuntimeError, ValueError) as exc:  # name too long, symlink loop, ...
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise WorkflowError(self.display(holder), where,
                                f"$ref {_short(ref)} is not a usable path: {reason}") from None
        if not inside:
            raise WorkflowError(self.display(holder), where, f"$ref {_short(ref)} leaves the workflow folder {self.root}")
        if not is_file:
            raise WorkflowError(self.display(holder), where,
                                f"$ref {_short(ref)}: file not found ({self.display(target)})")
        return target

    def _walk(self, node: Any, file: Path, at: tuple, out_at: tuple, chain: tuple[Path, ...]) -> Any:
        if isinstance(node, (dict, list)) and len(out_at) >= MAX_DEPTH:
            raise WorkflowError(self.display(file), json_path(at), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            if "$ref" in node:
                return self._resolve_ref(node, file, at, out_at, chain)
            self.origins[out_at] = (file, at)
            return {k: self._walk(v, file, at + (k,), out_at + (k,), chain) for k, v in node.items()}
        if isinstance(node, list):
            self.origins[out_at] = (file, at)
            return [self._walk(v, file, at + (i,), out_at + (i,), chain) for i, v in enumerate(node)]
        if isinstance(node, str):
            self.origins[out_at] = (file, at)
        return node

    def _resolve_ref(self, node: dict, file: Path, at: tuple, out_at: tuple, chain: tuple[Path, ...]) -> Any:
        kind = node.get("type", "json")
        if kind not in REF_TYPES:
            raise WorkflowError(self.display(file), json_path(at + ("type",)),
                                f"unknown $ref type {kind!r}; expected one of {', '.join(REF_TYPES)}")
        target = self._target(file, node["$ref"], at)
        siblings = {k: v for k, v in node.items() if k not in ("$ref", "type")}
        if kind == "json":
            if target in chain:
                loop = " -> ".join(self.display(p) for p in chain + (target,))
                raise WorkflowError(self.display(file), json_path(at + ("$ref",)), f"$ref cycle: {loop}")
            value = self._walk(self._parse_json(target), target, (), out_at, chain + (target,))
            if siblings:
                if not isinstance(value, dict):
                    raise WorkflowError(self.display(file), json_path(at),
                                        "sibling keys next to a $ref need the referenced JSON to be an object")
                for k, v in siblings.items():
                    value[k] = self._walk(v, file, at + (k,), out_at + (k,), chain)
            return value
        text = self._read_text(target)
        if kind == "text":
            content: str = LiteralText(text)
        else:
            content = TemplateText(text)
            content.source = self.display(target)
        if not siblings:
            self.origins[out_at] = (target, ())
            return content
        self.origins[out_at] = (file, at)
        self.origins[out_at + ("content",)] = (target, ())
        out = {"type": kind, "content": content}
        for k, v in siblings.items():
            out[k] = self._walk(v, file, at + (k,), out_at + (k,), chain)
        return out

    def locate(self, out_path: tuple) -> tuple[str, str]:
        """Map a path in the resolved tree back to (file, JSON path in that file)."""
        for cut in range(len(out_path), -1, -1):
            origin = self.origins.get(tuple(out_path[:cut]))
            if origin is not None:
                file, inner = origin
                return self.display(file), json_path(inner + tuple(out_path[cut:]))
        return "?", json_path(out_path)
