"""The template sandbox's limits on what one render may build.

A template is data, and `'x' * 10**10` or `'%999999999d' % 1` would otherwise take the whole
machine's memory (the sandbox itself only limits `range`). Every value a call, filter or operator
makes is checked, but only after it exists; so what multiplies its input (a width, a count, a
separator between many items) is estimated first. Loops, `~` and literal text are rewritten to
pass through the same budget (`Bounded`).
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from contextvars import ContextVar
from typing import Any

from jinja2 import Undefined, nodes, pass_context
from jinja2.sandbox import SecurityError
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

# Size limits for what one expression may build: a template is data, and `'x' * 10**10` or
# `'%999999999d' % 1` would otherwise take the whole machine's memory (the sandbox itself only
# limits `range`).
MAX_ITEMS = 1_000_000  # characters (or items) of any one value a call, filter or operator makes
MAX_POWER_BITS = 100_000  # about 30,000 decimal digits
MAX_WIDTH = 10_000  # field width / precision in % and str.format
MAX_RANGE = 100_000  # numbers in one range()
# Per render: each is cheap, but loops nest and macros recurse, so counts multiply.
MAX_STEPS = 100_000  # loop iterations plus calls plus filter applications
MAX_OUTPUT = 5_000_000  # characters emitted, including into macros and {% set %} blocks
PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?")


# --------------------------------------------------------------------------- size limits
# Every value a call, filter or operator makes is checked, but only after it exists; so what
# multiplies its input (a width, a count, a separator between many items) is estimated first.


class Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.output = 0
        self.sizes: dict[int, tuple[Any, int]] = {}  # id -> (container kept alive, size)


BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def spend(steps: int = 0, output: int = 0) -> None:
    budget = BUDGET.get()
    if budget is None:  # compiling (constant folding), not rendering
        return
    budget.steps += steps
    budget.output += output
    if budget.steps > MAX_STEPS:
        raise SecurityError(f"more than the limit of {MAX_STEPS:,} loop iterations and calls in one template")
    if budget.output > MAX_OUTPUT:
        raise SecurityError(f"more than the limit of {MAX_OUTPUT:,} characters of output in one template")


def size_of(value: Any, indent: int = 0, depth: int = 0, cache: bool = True) -> int:
    """About how many characters `str(value)` (or JSON indented by `indent`) takes; counting
    stops just past MAX_ITEMS, so a huge value costs no more than a big one. Containers are
    remembered for the render (templates cannot change them), so a loop that passes the same
    big list on is not walked again each time (a namespace can change, so it is not)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 4 + 1
    if isinstance(value, (list, tuple, set, frozenset, dict, range)):
        budget = BUDGET.get() if cache and not indent and len(value) > 16 else None
        if budget is not None and id(value) in budget.sizes:
            return budget.sizes[id(value)][1]
        total = 2 + len(value) * (2 + indent * (depth + 1))
        if not isinstance(value, range):
            for item in itertools.chain(value, value.values()) if isinstance(value, dict) else value:
                if total > MAX_ITEMS:
                    break
                total += size_of(item, indent, depth + 1, cache)
        if budget is not None:
            budget.sizes[id(value)] = (value, total)
        return total
    if isinstance(value, Undefined):  # a lenient undefined answers every hasattr, so ask it nothing
        return 0
    if hasattr(value, "_Namespace__attrs"):
        return size_of(value._Namespace__attrs, indent, depth, cache=False)
    return 8


def args_size(args: Any, kwargs: dict) -> int:
    return sum(size_of(a) for a in args) + sum(size_of(v) for v in kwargs.values())


def limit(size: int, what: str) -> None:
    if size > MAX_ITEMS:
        raise SecurityError(f"{what} would be longer than the limit of {MAX_ITEMS:,} characters (or items)")


def made(value: Any, what: str) -> Any:
    if isinstance(value, (str, bytes, list, tuple, dict, set)):
        limit(len(value), what)
    return value


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def format_fields(fmt: Any) -> int:
    return len(PERCENT_SPEC.findall(fmt)) if isinstance(fmt, str) else 1


def _arg(args: tuple, kwargs: dict, index: int, key: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(key, default)


def _replaced(s: Any, old: Any, new: Any, count: Any) -> int:
    s, old, new = (x if isinstance(x, (str, bytes)) else str(x) for x in (s, old, new))
    try:
        hits = len(s) + 1 if not old else s.count(old)
    except TypeError:
        return 0
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * len(new)


def _joined(items: list, sep: Any) -> int:
    return size_of(items) + size_of(sep) * max(len(items) - 1, 0)


def str_method_size(owner: Any, name: str, args: tuple, kwargs: dict) -> int:
    """The size a (possibly multiplying) str/bytes method would return."""
    n = len(owner)
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(n, _int(_arg(args, kwargs, 0, "width")))
    if name == "expandtabs":
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
        return n + tabs * max(_int(_arg(args, kwargs, 0, "tabsize", 8), 8), 0)
    if name == "replace":
        return _replaced(owner, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""),
                         _arg(args, kwargs, 2, "count", -1))
    if name == "join" and args and isinstance(args[0], list):
        return _joined(args[0], owner)
    if name == "translate" and args and isinstance(args[0], dict):
        return n * max((size_of(v) for v in args[0].values()), default=1)
    return 0  # the others grow text by a small factor at most, and what they return is checked


def _filter_size(name: str, args: list, kwargs: dict) -> int:
    """The size a (possibly multiplying) built-in filter would return; 0 when it cannot multiply."""
    value = args[0] if args else ""
    rest = tuple(args[1:])
    if name == "center":
        return max(size_of(value), _int(_arg(rest, kwargs, 0, "width", 80)))
    if name == "indent":
        width = _arg(rest, kwargs, 0, "width", 4)
        lines = value.count("\n") + 1 if isinstance(value, str) else size_of(value) + 1
        return size_of(value) + lines * (len(width) if isinstance(width, str) else _int(width))
    if name == "wordwrap":
        width = max(_int(_arg(rest, kwargs, 0, "width", 79), 79), 1)
        wrap = _arg(rest, kwargs, 2, "wrapstring") or "\n"
        n = size_of(value)
        lines = 2 * n // width + (value.count("\n") if isinstance(value, str) else n) + 2
        return n + lines * size_of(wrap)
    if name == "join" and isinstance(value, list):
        return _joined(value, _arg(rest, kwargs, 0, "d", ""))
    if name == "replace":
        return _replaced(value, _arg(rest, kwargs, 0, "old", ""), _arg(rest, kwargs, 1, "new", ""),
                         _arg(rest, kwargs, 2, "count", -1))
    if name == "format":
        return size_of(value) + format_fields(value) * (size_of(rest) + size_of(kwargs))
    if name == "tojson":
        return size_of(value, indent=_int(_arg(rest, kwargs, 0, "indent"), 0))
    if name == "pprint":
        return size_of(value, indent=1)
    if name == "batch":
        fill = _arg(rest, kwargs, 1, "fill_with")
        return _int(_arg(rest, kwargs, 0, "linecount")) * (size_of(fill) if fill is not None else 0)
    if name == "slice":
        return _int(_arg(rest, kwargs, 0, "slices"))  # a loop that many times
    if name == "sum" and isinstance(value, list) and not isinstance(_arg(rest, kwargs, 1, "start", 0), (int, float)):
        return len(value) * size_of(value)  # adding sequences copies them again each time
    return 0


def bounded_filter(name: str, func: Any) -> Any:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        spend(steps=1)
        args = list(args)
        if name in ("join", "sum") and len(args) > skip and not isinstance(args[skip], (list, str)):
            args[skip] = list(args[skip])  # to measure it; both filters build a list anyway
        own = args[skip:]
        limit(args_size(own, kwargs), f"the input of filter {name!r}")
        limit(_filter_size(name, own, kwargs), f"the result of filter {name!r}")
        return made(func(*args, **kwargs), f"the result of filter {name!r}")

    return bounded


@pass_context
def counted(_context: Any, iterable: Any) -> Any:
    for item in iterable:
        spend(steps=1)
        yield item


@pass_context
def concat(_context: Any, parts: list) -> str:
    limit(size_of(parts), "joining with ~")
    return "".join(str(p) for p in parts)


@pass_context
def emit(_context: Any, chars: int) -> str:
    spend(output=chars)
    return ""


@pass_context  # also keeps Jinja from folding `{{ 'constant' }}` into text no limit counts
def finalize(_context: Any, value: Any) -> Any:
    size = len(value) if type(value) is str else size_of(value)
    if size:
        limit(size, "an output")
        spend(output=size)
    return value


def bounded_range(*args: Any) -> range:
    numbers = range(*args)
    try:
        too_many = len(numbers) > MAX_RANGE
    except OverflowError:  # more than fits a C ssize_t
        too_many = True
    if too_many:
        raise SecurityError(f"a range of more than the limit of {MAX_RANGE:,} numbers")
    return numbers


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    limit(_int(n) * _int(max) * 12, "lipsum()")
    return generate_lorem_ipsum(n, html, min, max)


class Bounded(NodeTransformer):
    """Rewrites a parsed template so loops, `~` and literal text pass through the limits."""

    @staticmethod
    def _filter(node: Any, name: str, lineno: int) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = self._filter(node.iter, "_counted", node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        return self._filter(nodes.List(node.nodes, lineno=node.lineno), "_concat", node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        self.generic_visit(node)
        chars = sum(len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData))
        if chars:
            node.nodes.append(self._filter(nodes.Const(chars, lineno=node.lineno), "_emit", node.lineno))
        return node


def check_width(number: str | None, what: str) -> None:
    if number == "*" or (number and int(number) > MAX_WIDTH):
        raise SecurityError(f"{what} wider than {MAX_WIDTH} characters (or taken from an argument) is not allowed")


def check_format_string(text: str) -> None:
    for _literal, _field, spec, _conversion in string.Formatter().parse(text):
        if spec and "{" in spec:
            raise SecurityError("a format field whose width comes from an argument is not allowed")
        for number in re.findall(r"\d+", spec or ""):
            check_width(number, "a format field")
