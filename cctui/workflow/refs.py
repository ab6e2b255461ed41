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
# A file may be `$ref`ed many times and each copy may `$ref` more: 7 files of 10 refs each expand
# to 10**7 copies. The CC workflow resolves to about 2,500 values and 72,000 characters, so these
# leave 40x room while stopping a fan-out within a fraction of a second, as it is expanded.
MAX_NODES = 100_000  # JSON values (objects, arrays, strings, numbers, ...) in the resolved tree
MAX_CHARS = 5_000_000  # characters of all strings, keys and referenced text in the resolved tree


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
        self.nodes = 0
        self.chars = 0
        self._refs: list[tuple[Path, tuple]] = []  # the `$ref`s being expanded, outermost first
        self._texts: dict[Path, str] = {}
        self._targets: dict[tuple[Path, str], tuple[Path, bool, bool]] = {}

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
        if file in self._texts:
            return self._texts[file]
        try:
            with file.open("rb") as handle:  # bounded: one huge file must not be read whole
                raw = handle.read(MAX_CHARS * 4 + 1)
            if len(raw) > MAX_CHARS * 4:
                raise WorkflowError(self.display(file), "$",
                                    f"the file is larger than the limit of {MAX_CHARS * 4:,} bytes")
            text = raw.decode("utf-8")
        except FileNotFoundError:
            raise WorkflowError(self.display(file), "$", "file not found") from None
        except UnicodeDecodeError as exc:
            raise WorkflowError(self.display(file), "$", f"not UTF-8 text ({exc.reason})") from None
        except OSError as exc:  # a directory, no permission, ...
            raise WorkflowError(self.display(file), "$", f"cannot be read: {exc.strerror or exc}") from None
        self._texts[file] = text
        return text

    def _count(self, nodes: int, chars: int, file: Path, at: tuple) -> None:
        self.nodes += nodes
        self.chars += chars
        if self.nodes <= MAX_NODES and self.chars <= MAX_CHARS:
            return
        limit = f"{MAX_NODES:,} JSON values" if self.nodes > MAX_NODES else f"{MAX_CHARS:,} characters of text"
        chain = " -> ".join(f"{self.display(f)} {json_path(p + ('$ref',))}" for f, p in self._refs)
        raise WorkflowError(self.display(file), json_path(at),
                            f"the workflow with its $refs resolved is larger than the limit of {limit}"
                            + (f"; crossed while expanding {chain}" if chain else ""))

    def _target(self, holder: Path, ref: Any, at: tuple) -> Path:
        if not isinstance(ref, str) or not ref.strip():
            raise WorkflowError(self.display(holder), json_path(at + ("$ref",)), "$ref must be a non-empty path string")
        where = json_path(at + ("$ref",))
        if "\x00" in ref:
            raise WorkflowError(self.display(holder), where, f"$ref {_short(ref)} contains a NUL character")
        base = self.root if ref.startswith("/") else holder.parent
        # The same ref from the same folder resolves the same way: a fan-out of refs would
        # otherwise ask the file system tens of thousands of times before reaching the limit.
        known = self._targets.get((base, ref))
        if known is not None:
            target, inside, is_file = known
        else:
            try:
                target = (base / ref.lstrip("/")).resolve()  # follows symlinks, so a link out is caught too
                inside = target == self.root or self.root in target.parents
                is_file = inside and target.is_file()
            except (OSError, RuntimeError, ValueError) as exc:  # name too long, symlink loop, ...
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise WorkflowError(self.display(holder), where,
                                    f"$ref {_short(ref)} is not a usable path: {reason}") from None
            self._targets[(base, ref)] = (target, inside, is_file)
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
                self._refs.append((file, at))
                try:
                    return self._resolve_ref(node, file, at, out_at, chain)
                finally:
                    self._refs.pop()
            self._count(1, sum(len(k) for k in node), file, at)
            self.origins[out_at] = (file, at)
            return {k: self._walk(v, file, at + (k,), out_at + (k,), chain) for k, v in node.items()}
        if isinstance(node, list):
            self._count(1, 0, file, at)
            self.origins[out_at] = (file, at)
            return [self._walk(v, file, at + (i,), out_at + (i,), chain) for i, v in enumerate(node)]
        self._count(1, len(node) if isinstance(node, str) else 0, file, at)
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
        self._count(1, len(text), target, ())
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
