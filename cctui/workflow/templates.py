"""Jinja2 over workflow state, sandboxed, strict about missing keys.

A string that is exactly one `{{ expression }}` yields the expression's value (a list stays a
list); any other template yields text. Text from `type: text` refs is never rendered.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from cctui.workflow.refs import LiteralText, TemplateText

_SINGLE_EXPR = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)


class TemplateError(Exception):
    """A template that could not be rendered; the message names the template and the key."""


class _Tracked(dict):
    """A dict that knows its own dotted path, so a missing key can be reported in full."""

    def __init__(self, data: dict, path: str):
        super().__init__(data)
        self.path = path


class _Undefined(StrictUndefined):
    pass


class _Env(SandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Tracked) and isinstance(attribute, str) and not attribute.startswith("_"):
            if attribute in obj:
                return _track(obj[attribute], f"{obj.path}.{attribute}")
            if not hasattr(dict, attribute):
                return self.undefined(f"{obj.path}.{attribute} is not set", obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Tracked) and isinstance(argument, str):
            if argument in obj:
                return _track(obj[argument], f"{obj.path}.{argument}")
            return self.undefined(f"{obj.path}[{argument!r}] is not set", obj=obj, name=argument)
        if isinstance(obj, list) and isinstance(argument, int):
            try:
                return _track(obj[argument], f"[{argument}]")
            except IndexError:
                pass
        return super().getitem(obj, argument)


def _track(value: Any, path: str) -> Any:
    return _Tracked(value, path) if isinstance(value, dict) and not isinstance(value, _Tracked) else value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; prompts are not HTML.
    return json.dumps(_plain(value), ensure_ascii=False, indent=indent)


def make_env() -> SandboxedEnvironment:
    env = _Env(undefined=_Undefined, autoescape=False, keep_trailing_newline=True,
               trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = _tojson
    return env


ENV = make_env()


def is_template(text: str) -> bool:
    return not isinstance(text, LiteralText) and ("{{" in text or "{%" in text)


def build_context(state: dict, step: dict | None = None, module: dict | None = None,
                  config: dict | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "state": _Tracked(state, "state"),
        "step": _Tracked(step or {}, "step"),
        "module": _Tracked(module or {}, "module"),
        "config": _Tracked(config or {}, "config"),
        **extra,
    }


def render_string(text: str, context: dict[str, Any], where: str) -> Any:
    if not is_template(text):
        return text
    match = _SINGLE_EXPR.match(text)
    try:
        if match and "{{" not in match.group("expr") and "{%" not in text:
            value = ENV.compile_expression(match.group("expr"), undefined_to_none=False)(**context)
            if isinstance(value, StrictUndefined):
                value._fail_with_undefined_error()
            return _plain(value)
        return ENV.from_string(text).render(**context)
    except UndefinedError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    except SecurityError as exc:
        raise TemplateError(f"{where}: refused by the template sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{where}: template syntax error at line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # a filter or comparison failing on the data; still a template problem
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


def render_value(value: Any, context: dict[str, Any], where: str) -> Any:
    """Render every template string inside value; `where` names it in error messages."""
    if isinstance(value, dict):
        return {k: render_value(v, context, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, context, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        if isinstance(value, TemplateText) and value.source:
            where = f"{where} (template {value.source})"
        return render_string(value, context, where)
    return value


def check_syntax(text: str) -> str | None:
    """The syntax error message with its line, or None when the template parses."""
    try:
        ENV.parse(text)
    except TemplateSyntaxError as exc:
        return f"Jinja syntax error at line {exc.lineno}: {exc.message}"
    return None


def state_reads(text: str) -> set[str]:
    """Top-level state keys a template reads (`state.x`, `state['x']`)."""
    found: set[str] = set()
    for node in ENV.parse(text).find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == "state":
            if isinstance(node, nodes.Getattr):
                found.add(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.add(node.arg.value)
    return found
