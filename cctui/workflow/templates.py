"""Jinja2 over workflow state, sandboxed, strict about missing keys unless the workflow says
otherwise.

A string that is exactly one `{{ expression }}` yields the expression's value (a list stays a
list); any other template yields text. Text from `type: text` refs is never rendered.

The seed system's workflows are written for lenient rendering (a path nothing set reads as
empty); cctui's own ask for strict rendering (`"undefined_paths": "error"`), which names the
missing key instead of sending an empty prompt to a paid model. A context built with
`lenient=True` renders the first way.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
import string
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError

from cctui.errors import CctuiError
from cctui.workflow.refs import LiteralText, TemplateText
from cctui.workflow.template_limits import (
    BUDGET,
    MAX_ITEMS,
    MAX_POWER_BITS,
    PERCENT_SPEC,
    Bounded,
    Budget,
    args_size,
    bounded_filter,
    bounded_lipsum,
    bounded_range,
    check_format_string,
    check_width,
    concat,
    counted,
    emit,
    finalize,
    format_fields,
    limit,
    made,
    size_of,
    spend,
    str_method_size,
)

_SINGLE_EXPR = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)

class TemplateError(CctuiError):
    retryable = True  # it may read state that going back changes
    """A template that could not be rendered; the message names the template and the key."""


class _Tracked(dict):
    """A dict that knows its own dotted path, so a missing key can be reported in full."""

    def __init__(self, data: dict, path: str):
        super().__init__(data)
        self.path = path


class _Undefined(StrictUndefined):
    pass


class _Env(ImmutableSandboxedEnvironment):
    """Sandboxed (no dunder access, no calling unsafe callables) and immutable (a template cannot
    change the run's state in place), with limits on what one expression may allocate."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> Any:
        source = Bounded().visit(source)
        source.set_environment(self)
        return super()._generate(source, *args, **kwargs)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        spend(steps=1)
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, (str, bytes)) and name == "join" and args and not isinstance(args[0], list):
            args = (list(args[0]),) + args[1:]  # to measure it; join builds a list anyway
        limit(args_size(args, kwargs), "the arguments of a call")
        if isinstance(owner, (str, bytes)):
            limit(str_method_size(owner, name, args, kwargs), f"the result of {name}()")
        return made(super().call(__context, __obj, *args, **kwargs), f"the result of {name or 'a call'}()")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count > 0 \
                        and size_of(seq) * count > MAX_ITEMS:
                    raise SecurityError(f"repeating a sequence {count} times would be longer than the limit "
                                        f"of {MAX_ITEMS:,} characters (or items)")
        elif operator == "+" and isinstance(left, (str, list, tuple)):
            limit(size_of(left) + size_of(right), "adding with +")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 \
                    and max(1, abs(left).bit_length()) * right > MAX_POWER_BITS:
                raise SecurityError(f"a power with more than {MAX_POWER_BITS} bits is not allowed")
        elif operator == "%" and isinstance(left, str):
            for spec in PERCENT_SPEC.finditer(left):
                check_width(spec.group("width"), "a %-format width")
                check_width(spec.group("precision"), "a %-format precision")
            limit(len(left) + format_fields(left) * size_of(right), "%-formatting")
        return made(super().call_binop(context, operator, left, right), f"the result of {operator}")

    def wrap_str_format(self, value: Any):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def checked(*args: Any, **kwargs: Any) -> str:
            check_format_string(value.__self__)
            fields = sum(1 for _lit, field, _spec, _conv in string.Formatter().parse(value.__self__)
                         if field is not None)
            limit(len(value.__self__) + fields * (size_of(args) + size_of(kwargs)), "str.format")
            return wrapped(*args, **kwargs)

        return checked

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja returns an undefined that fails only when used; a lenient undefined never fails,
        # so an attack would pass as empty text. Refused here, at once, in both modes.
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

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


def make_env(undefined: type = _Undefined, trim: bool = True) -> SandboxedEnvironment:
    env = _Env(undefined=undefined, autoescape=False, keep_trailing_newline=True,
               trim_blocks=trim, lstrip_blocks=trim, finalize=finalize)
    env.filters["tojson"] = _tojson
    env.filters = {name: bounded_filter(name, func) for name, func in env.filters.items()}
    env.filters.update(_counted=counted, _concat=concat, _emit=emit)
    # `now()`: the seed format's templates date things with it (`{{ now().year }}`).
    env.globals.update(range=bounded_range, lipsum=bounded_lipsum, now=datetime.now)
    return env


ENV = make_env()
# The seed system's rendering, for workflows written for it: a path not set prints as nothing,
# and Jinja's default whitespace (its templates place `{%-` and newlines for it; trimming the
# newline after each block would run their list lines together).
LENIENT_ENV = make_env(ChainableUndefined, trim=False)
# Text only shown to the creator: lenient too, so a failure never stops the run.
SHOWN_ENV = make_env(ChainableUndefined)
# A context key no template can name (not an identifier): which of the two a render uses.
LENIENT = "cctui:lenient"


def is_template(text: str) -> bool:
    return not isinstance(text, LiteralText) and ("{{" in text or "{%" in text)


def build_context(state: dict, step: dict | None = None, module: dict | None = None,
                  config: dict | None = None, *, lenient: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        LENIENT: lenient,
        "state": _Tracked(state, "state"),
        "step": _Tracked(step or {}, "step"),
        "module": _Tracked(module or {}, "module"),
        "config": _Tracked(config or {}, "config"),
        **extra,
    }


# A workflow renders the same few templates at every step, every retry and every run: each is
# compiled (parsed, bounded, turned into Python) once per process. Templates hold no state of a
# render, so one compiled template serves every render.
@functools.lru_cache(maxsize=1024)
def _template(env: SandboxedEnvironment, text: str) -> Any:
    return env.from_string(text)


@functools.lru_cache(maxsize=1024)
def _expression(env: SandboxedEnvironment, expr: str) -> Any:
    return env.compile_expression(expr, undefined_to_none=False)


def render_string(text: str, context: dict[str, Any], where: str, *, lenient: bool = False) -> Any:
    """`lenient`: a missing key prints as nothing (a single expression gives None) instead of
    failing, as the seed format's `transform.reshape` reads its data; syntax errors still fail."""
    if not is_template(text):
        return text
    match = _SINGLE_EXPR.match(text)
    env = LENIENT_ENV if lenient or context.get(LENIENT) else ENV
    token = BUDGET.set(Budget())
    try:
        if match and "{{" not in match.group("expr") and "{%" not in text:
            value = _expression(env, match.group("expr"))(**context)
            if isinstance(value, StrictUndefined):
                value._fail_with_undefined_error()
            if isinstance(value, Undefined):
                return None  # lenient: a path nothing set is null, as the seed system reads it
            limit(size_of(value), "the value")
            return _plain(value)
        return made(_template(env, str(text)).render(**context), "the rendered text")
    except UndefinedError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    except SecurityError as exc:
        raise TemplateError(f"{where}: refused by the template sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{where}: template syntax error at line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # a filter or comparison failing on the data; still a template problem
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None
    finally:
        BUDGET.reset(token)


def render_shown(text: str, context: dict[str, Any]) -> str:
    """Display text (a prompt, a title, a label) rendered against the state, leniently: a missing
    path shows empty; a template the sandbox refuses or that fails on the data is shown as written."""
    if not is_template(text):
        return text
    token = BUDGET.set(Budget())
    try:
        return str(made(_template(SHOWN_ENV, str(text)).render(**context), "the rendered text"))
    except Exception:  # noqa: BLE001 - display text must never stop a run; the author sees it unrendered
        return text
    finally:
        BUDGET.reset(token)


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


# The seed's reshape templates name their variables `$item`, `$index`; Jinja reads them as `_item`.
_DOLLAR_NAME = re.compile(r"\$([a-zA-Z_][a-zA-Z0-9_]*)")


def dollar_names(text: str) -> str:
    """A template whose variables are written `$name`, as Jinja reads it (`_name`)."""
    return _DOLLAR_NAME.sub(r"_\1", text)


def check_syntax(text: str) -> str | None:
    """The syntax error message with its line, or None when the template compiles (compiling,
    not only parsing, also finds an unknown filter or test)."""
    try:
        ENV.compile(text)
    except TemplateSyntaxError as exc:
        return f"Jinja syntax error at line {exc.lineno}: {exc.message}"
    return None


def state_reads(text: str) -> set[str]:
    """Top-level state keys a template reads (`state.x`, `state['x']`)."""
    return {path[0] for path in state_paths(text)}


def _name_of(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def state_paths(text: str) -> set[tuple[str, ...]]:
    """The state paths a template reads, each one or two names long (`state.x`, `state.x.y`):
    enough to tell a key nothing writes from a module output the module does not make."""
    found: set[tuple[str, ...]] = set()
    parents: dict[int, nodes.Node] = {}
    tree = ENV.parse(text)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        parents[id(node.node)] = node
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if not (isinstance(target, nodes.Name) and target.name == "state"):
            continue
        first = _name_of(node)
        if first is None:
            continue
        outer = parents.get(id(node))
        second = _name_of(outer) if outer is not None else None
        found.add((first, second) if second else (first,))
    return found
