"""Render bundle IR (docs/bundle-format.md, §6) to text.

A pure, dependency-free walk over the JSON tree: nodes append strings to one output list,
expressions return JSON values. Lookup scopes are a list of dicts, outermost (the inputs)
first; each `for` node adds one frame holding its variable and its loop fields (under
`loop`, or the node's `loop` name). Stringify, truthiness, filters and comparisons
follow docs/bundle-format.md (§7–9) exactly, because a JavaScript runtime must produce the same bytes for the
same bundle and inputs.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable

from . import casing
from .errors import BundleFormatError, RenderError
from .values import is_number, json_equal, stringify, tojson, truthy, type_name

# The Unicode White_Space property, spelled out: str.strip() and JavaScript's trim() each
# disagree with it (and with each other) on a few control characters.
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)
_WORD = re.compile(f"[^{re.escape(WHITESPACE)}]+")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def render_content(nodes: list, inputs: dict) -> str:
    """Render one message's content nodes against already-validated inputs."""
    out: list[str] = []
    _render(nodes, [inputs], out)
    return "".join(out)


def _render(nodes: list, scopes: list[dict], out: list[str]) -> None:
    for node in nodes:
        kind = node["kind"]
        if kind == "text":
            out.append(node["text"])
        elif kind == "expr":
            out.append(stringify(evaluate(node["expr"], scopes)))
        elif kind == "if":
            for branch in node["branches"]:
                if truthy(evaluate(branch["cond"], scopes)):
                    _render(branch["body"], scopes, out)
                    break
            else:
                _render(node["else"], scopes, out)
        elif kind == "for":
            items = evaluate(node["iter"], scopes)
            if items is None:  # an optional list that was not given renders nothing
                continue
            if not isinstance(items, list):
                raise RenderError(f"`for {node['var']}` needs a list, got {type_name(items)}")
            frame: dict[str, Any] = {}
            inner = [*scopes, frame]
            last = len(items) - 1
            loop = node.get("loop", "loop")
            for index, item in enumerate(items):
                frame[node["var"]] = item
                frame[loop] = {"index": index + 1, "first": index == 0, "last": index == last}
                _render(node["body"], inner, out)
        else:
            raise BundleFormatError(f"unknown IR node kind {kind!r}")


def evaluate(expr: dict, scopes: list[dict]) -> Any:
    """Return the JSON value of an IR expression."""
    kind = expr["kind"]
    if kind == "var":
        return _lookup(expr["path"], scopes)
    if kind == "const":
        return expr["value"]
    if kind == "filter":
        fn = FILTERS.get(expr["name"])
        if fn is None:
            raise BundleFormatError(f"unknown filter {expr['name']!r}")
        args = [evaluate(arg, scopes) for arg in expr.get("args", ())]
        return fn(evaluate(expr["arg"], scopes), *args)
    if kind == "compare":
        return compare(expr["op"], evaluate(expr["left"], scopes), evaluate(expr["right"], scopes))
    if kind == "and":
        return all(truthy(evaluate(arg, scopes)) for arg in expr["args"])
    if kind == "or":
        return any(truthy(evaluate(arg, scopes)) for arg in expr["args"])
    if kind == "not":
        return not truthy(evaluate(expr["arg"], scopes))
    raise BundleFormatError(f"unknown IR expression kind {kind!r}")


def _lookup(path: list[str], scopes: list[dict]) -> Any:
    name = path[0]
    for frame in reversed(scopes):
        if name in frame:
            value = frame[name]
            break
    else:
        return None
    for field in path[1:]:
        if not isinstance(value, dict):
            return None
        value = value.get(field)
    return value


def compare(op: str, left: Any, right: Any) -> bool:
    """Apply a `compare` operator to two JSON values."""
    if op == "==" or op == "!=":
        return json_equal(left, right) is (op == "==")
    if op == "in" or op == "not-in":
        if isinstance(right, list):
            found = any(json_equal(left, item) for item in right)
        elif isinstance(right, str) and isinstance(left, str):
            found = left in right
        elif right is None:
            found = False
        else:
            raise RenderError(f"`{op}` needs a list, or a string in a string; got "
                              f"{type_name(left)} {op} {type_name(right)}")
        return found is (op == "in")
    if op not in _ORDER:
        raise BundleFormatError(f"unknown comparison operator {op!r}")
    if (is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return _ORDER[op](left, right)
    raise RenderError(f"`{op}` compares two numbers or two strings; got "
                      f"{type_name(left)} {op} {type_name(right)}")


def _title(value: Any) -> str:
    return _WORD.sub(lambda m: casing.upper(m[0][0]) + casing.lower(m[0][1:]), stringify(value))


def _join(value: Any, sep: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, list):
        raise RenderError(f"`join` needs a list, got {type_name(value)}")
    return stringify(sep).join(map(stringify, value))


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, list, dict)):
        return len(value)  # len() of a str counts code points
    raise RenderError(f"`length` needs a string, list or object, got {type_name(value)}")


FILTERS: dict[str, Callable[..., Any]] = {
    "upper": lambda value: casing.upper(stringify(value)),
    "lower": lambda value: casing.lower(stringify(value)),
    "trim": lambda value: stringify(value).strip(WHITESPACE),
    "title": _title,
    "join": _join,
    "default": lambda value, fallback: fallback if value is None else value,
    "length": _length,
    "tojson": tojson,
}
