"""Prompty's Jinja, read for the importer: which constructs fit promptc's subset (`check`,
which also records how inputs are used), and the template as promptc text and code
(`template_parts`), with `-` whitespace control applied and expressions printed in the
subset. Prompty renders Jinja with significant whitespace: no trim_blocks, no lstrip_blocks,
and the final newline kept."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from jinja2 import Environment, nodes

from ..semantic.portability import ALLOWED_FILTERS, expression_hint, statement_hint
from ..syntax.template import _OffsetLexer
from .common import IDENT, InteropError, Shape


def environment() -> Environment:
    """Jinja as Prompty's renderer configures it."""
    return Environment(keep_trailing_newline=True, autoescape=False)


@dataclass
class Segment:
    """One message of a Prompty body: its role, where its text starts in the file, its text."""

    role: str
    offset: int  # of its first line in the file
    text: str


@dataclass
class State:
    """The inputs a template uses (and how), and those the front matter declares."""

    inputs: dict[str, Shape] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)


def line_start(text: str, base: int, line: int) -> int:
    """The offset of the line `line` lines after the one at `base` (0: that line)."""
    at = base
    for _ in range(line):
        at = text.find("\n", at) + 1
    return at



def template_parts(source: str, env: Environment, state: State) -> list[tuple[str, str]]:
    """Text and code of a template, with `-` whitespace control applied to the text, and
    expressions printed in promptc's subset (see `_print`)."""
    lexer = _OffsetLexer(env)
    printer = _Printer(state)
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    kind = ""
    start = 0
    for offset, token, value in lexer._with_offsets(source, None, None, None):
        at = offset - 1
        if token == "data":
            parts.append(("lit", value))
        elif token in ("variable_begin", "block_begin"):
            kind, start = ("expr" if token == "variable_begin" else "tag"), at + len(value)
            current = []
        elif token in ("variable_end", "block_end"):
            inner = source[start:at].strip().removeprefix("-").removeprefix("+").removesuffix("-").removesuffix(
                "+").strip()
            parts.append((kind, "{{ " + printer.source(inner, env) + " }}" if kind == "expr" else
                          "{% " + printer.tag(inner, env) + " %}"))
        elif token == "raw_begin":
            kind = "raw"
    return parts


def check(node: nodes.Node, seg: Segment, state: State, text: str, scopes: list[dict[str, Shape]]) -> None:
    """Raise InteropError at the first construct outside the subset; record how inputs are used."""
    def fail(n: nodes.Node, what: str, hint: str) -> InteropError:
        at = line_start(text, seg.offset, n.lineno - 1)
        line_end = text.find("\n", at)
        return InteropError(at, f"{what} is not part of promptc's template subset", hint,
                            (line_end if line_end != -1 else len(text)) - at)

    def expr(n: nodes.Node, use: str) -> Shape | None:
        if isinstance(n, nodes.Name):
            for scope in reversed(scopes):
                if n.name in scope:
                    return scope[n.name]
            if n.name == "loop":
                return None
            if n.name not in state.inputs:
                if not IDENT.match(n.name) or n.name == "tools":
                    raise fail(n, f"the name `{n.name}`", "rename the input")
                state.inputs[n.name] = Shape(where=line_start(text, seg.offset, n.lineno - 1))
            return state.inputs[n.name]
        if isinstance(n, nodes.Getattr):
            base = expr(n.node, "field")
            if isinstance(n.node, nodes.Name) and n.node.name == "loop":
                if n.attr not in ("index", "first", "last"):
                    raise fail(n, f"`loop.{n.attr}`", "promptc loops have `loop.index` (from 1), `loop.first` "
                                                        "and `loop.last`")
                return None
            return base.child(n.attr, base.where) if base is not None else None
        if isinstance(n, nodes.Const):
            return None
        if isinstance(n, nodes.Filter):
            if n.name not in ALLOWED_FILTERS:
                raise fail(n, f"the filter `{n.name}`", f"use one of {', '.join(ALLOWED_FILTERS)}")
            if n.name == "join" and not n.args:
                raise fail(n, "`join` without a separator", 'write the separator: `join("")`')
            if n.kwargs or n.dyn_args or n.dyn_kwargs:
                raise fail(n, f"`{n.name}` with keyword arguments", "pass arguments by position")
            for a in n.args:
                expr(a, "value")
            shape = expr(n.node, "filtered") if n.node is not None else None
            if shape is not None and n.name in ("join",):
                shape.items(shape.where)
            elif shape is not None and n.name not in ("length", "default", "tojson"):
                shape.rendered = True
            return None
        if isinstance(n, nodes.Compare):
            ordered = any(op.op in ("lt", "lteq", "gt", "gteq") for op in n.ops)
            for side in [n.expr, *[op.expr for op in n.ops]]:
                s = expr(side, "compared")
                if s is not None and not s.fields and not s.looped:
                    s.rendered = True
                    # Jinja fails on an ordered comparison with a missing value: so does promptc,
                    # when the input is required.
                    s.required = s.required or ordered
            return None
        if isinstance(n, (nodes.And, nodes.Or)) and use == "tested":  # truthiness alone: the same in both
            expr(n.left, "tested")
            expr(n.right, "tested")
            return None
        if isinstance(n, (nodes.And, nodes.Or)):
            raise fail(n, f"`{'and' if isinstance(n, nodes.And) else 'or'}`",
                       "nest the conditions: `{% if a %}{% if b %}…{% endif %}{% endif %}`")
        if isinstance(n, nodes.Not):
            expr(n.node, "tested" if use == "tested" else "negated")
            return None
        if isinstance(n, nodes.Getitem) and isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str):
            raise fail(n, f"`[\"{n.arg.value}\"]`", f"write `.{n.arg.value}`")
        what, hint = expression_hint(n)
        raise fail(n, what, hint)

    if isinstance(node, nodes.Template):
        for child in node.body:
            check(child, seg, state, text, scopes)
    elif isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            shape = expr(child, "rendered")
            if shape is not None and not shape.looped and not shape.fields:
                shape.rendered = True
    elif isinstance(node, nodes.If):
        expr(node.test, "tested")
        for child in node.body:
            check(child, seg, state, text, scopes)
        for elif_ in node.elif_:
            check(elif_, seg, state, text, scopes)
        for child in node.else_:
            check(child, seg, state, text, scopes)
    elif isinstance(node, nodes.For):
        if node.else_ or node.test is not None or node.recursive:
            raise fail(node, "`{% for %}` with `else`, a filter or `recursive`",
                       "write `{% if xs %}{% for x in xs %}…{% endfor %}{% else %}…{% endif %}`")
        if not isinstance(node.target, nodes.Name):
            raise fail(node, "unpacking in `{% for %}`", "loop over one value: `{% for item in items %}`")
        iterated = expr(node.iter, "looped")
        item = iterated.items(iterated.where) if iterated is not None else Shape()
        scopes.append({node.target.name: item})
        for child in node.body:
            check(child, seg, state, text, scopes)
        scopes.pop()
    else:
        what, hint = statement_hint(node)
        raise fail(node, what, hint)


_NEEDS_VALUE = ("upper", "lower", "trim", "title", "join", "length")


class _Printer:
    """promptc's source for Jinja expressions already checked by `check`. A filter that
    promptc refuses on a missing value gets `default(…)` first: Jinja renders a missing
    value's `upper`, `join`, `length` … as empty (or 0), and so does `x | default("") | upper`."""

    def __init__(self, state: State):
        self.state = state
        self.loops: list[tuple[str, Shape | None]] = []

    def source(self, source: str, env: Environment) -> str:
        node = env.parse("{{ " + source + " }}").body[0]
        assert isinstance(node, nodes.Output)
        return self.print(node.nodes[0])

    def tag(self, source: str, env: Environment) -> str:
        word, _, rest = source.strip().partition(" ")
        if word in ("if", "elif"):
            return f"{word} {self.source(rest, env)}"
        if word == "for":
            target, _, iterated = rest.partition(" in ")
            node = env.parse("{{ " + iterated + " }}").body[0].nodes[0]  # type: ignore[attr-defined]
            shape = self.shape(node)
            self.loops.append((target.strip(), shape.item if shape is not None else None))
            return f"for {target.strip()} in {self.print(node)}"
        if word == "endfor" and self.loops:
            self.loops.pop()
        return source.strip()

    def shape(self, n: nodes.Node) -> Shape | None:
        if isinstance(n, nodes.Name):
            for name, shape in reversed(self.loops):
                if name == n.name:
                    return shape
            return self.state.inputs.get(n.name)
        if isinstance(n, nodes.Getattr):
            base = self.shape(n.node)
            return base.fields.get(n.attr) if base is not None else None
        return None

    def optional(self, n: nodes.Node) -> bool:
        if isinstance(n, nodes.Getattr):
            return not _is_loop(n)
        if isinstance(n, nodes.Name):
            if any(name == n.name for name, _ in self.loops):
                return False
            declared = self.state.declared.get(n.name)
            if declared is not None:
                return declared.endswith("?")
            shape = self.state.inputs.get(n.name)
            return shape is None or not shape.required
        return False

    def print(self, n: nodes.Node) -> str:
        if isinstance(n, nodes.Name):
            return n.name
        if isinstance(n, nodes.Getattr):
            return f"{self.print(n.node)}.{n.attr}"
        if isinstance(n, nodes.Const):
            return json.dumps(n.value, ensure_ascii=False)
        if isinstance(n, nodes.Filter):
            assert n.node is not None
            base = self.print(n.node)
            if n.name in _NEEDS_VALUE and self.optional(n.node):
                shape = self.shape(n.node)
                declared = self.state.declared.get(n.node.name, "") if isinstance(n.node, nodes.Name) else ""
                listy = n.name == "join" or declared.startswith("list") or (shape is not None and (
                    shape.looped or any(isinstance(v, list) for v in shape.samples)))
                base = f"{base} | default({'[]' if listy else chr(34) * 2})"
            args = f"({', '.join(self.print(a) for a in n.args)})" if n.args else ""
            return f"{base} | {n.name}{args}"
        if isinstance(n, nodes.Compare):
            ops = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "in": "in",
                   "notin": "not in"}
            return " ".join([self.print(n.expr), *[f"{ops[o.op]} {self.print(o.expr)}" for o in n.ops]])
        if isinstance(n, nodes.Not):
            return f"not {self.print(n.node)}"
        if isinstance(n, nodes.And):
            return f"({self.print(n.left)} and {self.print(n.right)})"
        if isinstance(n, nodes.Or):
            return f"({self.print(n.left)} or {self.print(n.right)})"
        raise AssertionError(f"unchecked expression {type(n).__name__}")


def _is_loop(n: nodes.Node) -> bool:
    while isinstance(n, nodes.Getattr):
        n = n.node
    return isinstance(n, nodes.Name) and n.name == "loop"
