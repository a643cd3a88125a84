"""Symbols a module defines and exports: types, tools, fragments; and type resolution."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..diagnostics import DiagnosticSink, Label, suggestion_note
from ..runtime.schema import PatternError, Validator, compile_pattern
from ..source import Span
from ..syntax import ast
from ..syntax.template import ParsedTemplate
from . import types as T


@dataclass(frozen=True)
class ParamSym:
    name: str
    type: T.Type
    default: Any
    has_default: bool
    span: Span


@dataclass(frozen=True)
class ToolSym:
    name: str
    module: str
    params: tuple[ParamSym, ...]
    description: str
    requires_approval: bool
    span: Span

    def parameters_schema(self) -> dict:
        return T.object_schema([(p.name, p.type) for p in self.params],
                               {p.name: p.default for p in self.params if p.has_default})

    def signature(self) -> str:
        params = ", ".join(f"{p.name}: {T.display(p.type)}" for p in self.params)
        return f"tool {self.name}({params})"


@dataclass
class FragmentSym:
    name: str
    module: str
    params: tuple[ParamSym, ...] | None
    span: Span
    template: ParsedTemplate | None = None
    body: list | None = None  # checked IR nodes, filled by the checker

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class TypeSym:
    name: str
    module: str
    type: T.Type
    span: Span


@dataclass
class Exports:
    """What other modules may import from a module."""

    name: str
    types: dict[str, TypeSym] = field(default_factory=dict)
    tools: dict[str, ToolSym] = field(default_factory=dict)
    fragments: dict[str, FragmentSym] = field(default_factory=dict)
    complete: bool = True  # False when the module could not be fully checked (cycle)

    def names(self) -> list[str]:
        return sorted({*self.types, *self.tools, *self.fragments})


BUILTIN_TYPES = ("str", "int", "float", "bool")


class TypeResolver:
    """Resolves type expressions against one module's type namespace."""

    def __init__(self, sink: DiagnosticSink, lookup: Callable[[str], TypeSym | None],
                 local: Mapping[str, ast.TypeDecl], visible: Callable[[], list[str]]):
        self.sink = sink
        self.lookup = lookup
        self.local = local
        self.visible = visible
        self.resolved: dict[str, T.Type] = {}
        self._resolving: list[str] = []

    def named(self, name: str, span: Span) -> T.Type:
        if name in self.resolved:
            return self.resolved[name]
        if name in self.local:
            if name in self._resolving:
                cycle = self._resolving[self._resolving.index(name):] + [name]
                self.sink.error("recursive-type", f"type `{name}` refers to itself: {' → '.join(cycle)}", span,
                                notes=("object types cannot contain themselves; use a list of a smaller type",))
                return T.Unknown()
            self._resolving.append(name)
            decl = self.local[name]
            ty = self.resolve(decl.type, name=name)
            self._resolving.pop()
            self.resolved[name] = ty
            return ty
        sym = self.lookup(name)
        if sym is not None:
            return sym.type
        self.sink.error("unknown-type", f"unknown type `{name}`", span,
                        notes=suggestion_note(name, [*BUILTIN_TYPES, *self.visible()]) or (
                            "built-in types are str, int, float, bool, list[T], map[T] and \"a\" | \"b\"; "
                            "declare others with `type Name …` or import them",))
        return T.Unknown()

    def resolve(self, expr: ast.TypeExpr, name: str | None = None) -> T.Type:
        if isinstance(expr, ast.OptionalType):
            return T.Optional(self.resolve(expr.inner))
        if isinstance(expr, ast.LiteralUnion):
            values = []
            for v in expr.values:
                if v.value in values:
                    self.sink.error("duplicate-definition", f"`\"{v.value}\"` appears twice in the union", v.span)
                else:
                    values.append(v.value)
            return T.Literal(tuple(values))
        if isinstance(expr, ast.ObjectType):
            fields = []
            seen: dict[str, Span] = {}
            for f in expr.fields:
                if f.name.text in seen:
                    self.sink.error("duplicate-definition", f"field `{f.name.text}` is declared twice", f.name.span,
                                    labels=[Label(seen[f.name.text], "first declared here")])
                    continue
                seen[f.name.text] = f.name.span
                fields.append((f.name.text, self.resolve(f.type)))
            return T.Object(name, tuple(fields))
        if isinstance(expr, ast.ListType):
            cons = self._constraints("list", expr.constraints)
            item = self.resolve(expr.item)
            max_items = cons.get("max_items", cons.get("max_len"))
            min_items = cons.get("min_items", cons.get("min_len"))
            return T.List(item, max_items, min_items)
        if isinstance(expr, ast.MapType):
            cons = self._constraints("map", expr.constraints)
            return T.Map(self.resolve(expr.value), cons.get("max_items"))
        # NamedType
        base = expr.name.text
        if base in BUILTIN_TYPES:
            cons = self._constraints(base, expr.constraints)
            if base == "str":
                return T.Str(cons.get("max_len"), cons.get("min_len"), cons.get("pattern"), cons.get("max_tokens"))
            if base == "int":
                return T.Int(cons.get("min"), cons.get("max"))
            if base == "float":
                return T.Float(cons.get("min"), cons.get("max"))
            return T.Bool()
        if expr.constraints:
            self.sink.error("invalid-constraint", f"constraints go on built-in types, not on `{base}`",
                            expr.constraints[0].name.span,
                            notes=(f"put the constraint where `{base}` is declared",))
        return self.named(base, expr.name.span)

    def _constraints(self, base: str, cons: tuple[ast.Constraint, ...]) -> dict[str, Any]:
        allowed = T.CONSTRAINTS[base]
        out: dict[str, Any] = {}
        for c in cons:
            key = c.name.text
            if key not in allowed:
                options = ", ".join(allowed) or "none"
                self.sink.error("invalid-constraint", f"`{base}` has no constraint `{key}`", c.name.span,
                                notes=suggestion_note(key, allowed) or (f"constraints of `{base}`: {options}",))
                continue
            want = allowed[key]
            value = c.value.value
            if isinstance(value, bool) or not isinstance(value, want):
                kind = "a whole number" if want is int else "a number" if want != str else "a string"
                self.sink.error("invalid-constraint", f"`{key}` takes {kind}", c.value.span,
                                notes=(f"write `{key}=" + ("\"^[a-z]+$\"" if want is str else "10") + "`",))
                continue
            if want is int and value < 0:
                self.sink.error("invalid-constraint", f"`{key}` cannot be negative", c.value.span)
                continue
            if key == "pattern":
                try:
                    compile_pattern(value)
                except PatternError as exc:
                    self.sink.error("invalid-constraint", f"`pattern` is not valid: {exc}", c.value.span,
                                    notes=("patterns are ECMA-262 regular expressions matched in linear time: literals, `.`, classes "
                                           "`[…]`, `\\d \\w \\s \\b`, groups, `|`, `^ $` and quantifiers; no backreferences, "
                                           "lookaround or `\\p{…}` (see docs/limits.md)",))
                    continue
            out[key] = value
        for low, high in (("min_len", "max_len"), ("min", "max"), ("min_items", "max_items")):
            if low in out and high in out and out[low] > out[high]:
                span = next(c.value.span for c in cons if c.name.text == low)
                self.sink.error("invalid-constraint", f"`{low}` ({out[low]}) is larger than `{high}` ({out[high]})",
                                span)
        return out


def check_default(sink: DiagnosticSink, name: str, ty: T.Type, value: ast.Value) -> bool:
    """Validate a default against the declared type; report PC205 when it does not fit."""
    schema = T.to_schema(ty)
    if isinstance(value.value, int) and not isinstance(value.value, bool) and abs(value.value) > 2**53 - 1:
        sink.error("invalid-default", f"default of `{name}` is outside the portable integer range ±(2^53−1)",
                   value.span)
        return False
    errors = sorted(Validator(schema).iter_errors(value.value), key=lambda e: list(e.path))
    if not errors:
        return True
    err = errors[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path)
    sink.error("invalid-default",
               f"default of `{name}{where}` does not match its type `{T.display(ty)}`: {_short(err.message)}",
               value.span, notes=(_default_hint(ty),))
    return False


def _short(message: str) -> str:
    return message if len(message) <= 120 else message[:117] + "…"


def _default_hint(ty: T.Type) -> str:
    base = T.strip_optional(ty)
    if isinstance(base, T.Literal):
        return "write one of " + ", ".join(f'"{v}"' for v in base.values)
    examples = {T.Str: '"text"', T.Int: "3", T.Float: "0.5", T.Bool: "true or false", T.List: "[]", T.Map: "{}"}
    for kind, example in examples.items():
        if isinstance(base, kind):
            return f"write a value of type `{T.display(ty)}`, for example {example}"
    return f"write a value of type `{T.display(ty)}`"
