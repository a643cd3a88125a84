"""A message as the model will read it, with fragments inlined and every piece of text
tied to its source position and to the `{% if %}` branches it sits in.

The lint stage works on this, not on bundle IR: lowering merges text and drops origins,
while findings must point at the line the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..semantic.checker import CheckedMessage
from ..semantic.symbols import FragmentSym
from ..source import Span
from ..syntax.template import ParsedTemplate

Origin = tuple[ParsedTemplate, int]
# One step of a scope: (id of an `if` node, index of the branch; the else branch is -1).
Branch = tuple[int, int]


@dataclass(frozen=True)
class Piece:
    """A run of message text. Expressions appear as `{{path}}` placeholders."""

    start: int
    end: int
    kind: str  # "text" | "expr" | "tool"
    origin: Origin | None
    scope: tuple[Branch, ...]
    in_loop: bool
    var: tuple[str, ...] | None = None  # for expr pieces: the input path, if it is one
    filters: tuple[str, ...] = ()
    fragment: FragmentSym | None = None  # the innermost fragment the text comes from


@dataclass
class Document:
    role: str
    text: str
    pieces: list[Piece] = field(default_factory=list)
    message: CheckedMessage | None = None

    def piece_at(self, offset: int) -> Piece | None:
        lo, hi = 0, len(self.pieces)
        while lo < hi:
            mid = (lo + hi) // 2
            p = self.pieces[mid]
            if offset < p.start:
                hi = mid
            elif offset >= p.end:
                lo = mid + 1
            else:
                return p
        return self.pieces[-1] if self.pieces and offset >= self.pieces[-1].end else None

    def span(self, start: int, end: int) -> Span | None:
        """The file span of document text [start, end), clipped to the piece it starts in."""
        piece = self.piece_at(start)
        if piece is None or piece.origin is None:
            return self.message.span if self.message else None
        parsed, at = piece.origin
        if piece.kind != "text":
            return parsed.span_at(at, 1)
        end = min(end, piece.end)
        return parsed.span_at(at + (start - piece.start), max(end - start, 1))

    def scope_at(self, offset: int) -> tuple[Branch, ...]:
        piece = self.piece_at(offset)
        return piece.scope if piece else ()


def exclusive(a: tuple[Branch, ...], b: tuple[Branch, ...]) -> bool:
    """True when two scopes are different branches of one `if`: never both rendered."""
    branches = dict(a)
    return any(node in branches and branches[node] != index for node, index in b)


def build_document(message: CheckedMessage) -> Document:
    builder = _Builder()
    builder.walk(message.body, (), False, {}, None)
    doc = Document(message.role, "".join(builder.parts), builder.pieces, message)
    return doc


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pieces: list[Piece] = []
        self.length = 0
        self._stack: list[FragmentSym] = []

    def add(self, text: str, kind: str, origin, scope, in_loop, frag, var=None, filters=()) -> None:
        if not text:
            return
        self.pieces.append(Piece(self.length, self.length + len(text), kind, origin, scope, in_loop, var,
                                 filters, frag))
        self.parts.append(text)
        self.length += len(text)

    def walk(self, body: list[dict], scope, in_loop: bool, env: dict[str, Any], frag) -> None:
        for node in body:
            kind = node["kind"]
            origin = node.get("origin")
            if kind == "text":
                self.add(node["text"], "tool" if "tool" in node else "text", origin, scope, in_loop, frag)
            elif kind == "expr":
                path, filters = _var_of(node["expr"], env)
                shown = "{{" + (".".join(path) if path else "…") + "}}"
                self.add(shown, "expr", origin, scope, in_loop, frag, path, filters)
            elif kind == "if":
                for i, branch in enumerate(node["branches"]):
                    self.walk(branch["body"], scope + ((id(node), i),), in_loop, env, frag)
                self.walk(node["else"], scope + ((id(node), -1),), in_loop, env, frag)
            elif kind == "for":
                self.walk(node["body"], scope, True, env, frag)
            elif kind == "call":
                target: FragmentSym = node["fragment"]
                if target in self._stack or target.body is None:
                    continue
                inner_env = {name: _substitute(arg, env) for name, arg in node["args"].items()}
                self._stack.append(target)
                self.walk(target.body, scope, in_loop, inner_env, target)
                self._stack.pop()


def _substitute(expr: dict, env: dict[str, Any]) -> dict:
    if expr.get("kind") == "var" and expr["path"][0] in env:
        outer = env[expr["path"][0]]
        if outer.get("kind") == "var":
            return {"kind": "var", "path": outer["path"] + expr["path"][1:]}
        return outer
    return expr


def _var_of(expr: dict, env: dict[str, Any]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """The variable an output expression shows, through filters and fragment arguments."""
    filters: list[str] = []
    while expr.get("kind") == "filter":
        filters.append(expr["name"])
        expr = expr["arg"]
    expr = _substitute(expr, env)
    if expr.get("kind") == "var":
        return tuple(expr["path"]), tuple(filters)
    return None, tuple(filters)
