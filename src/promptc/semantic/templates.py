"""Check template text: every name resolves, every expression type-checks.

The checker walks jinja2's AST once and produces the bundle IR (see docs/ir.md), with one
extra node kind the lowering stage removes: `{"kind": "call", "fragment": FragmentSym,
"args": {name: expr}}` for a fragment to inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from jinja2 import nodes

from ..diagnostics import DiagnosticSink, suggestion_note
from ..source import Span
from ..syntax.template import ParsedTemplate
from . import types as T
from .portability import ALLOWED_FILTERS, expression_hint, statement_hint
from .symbols import Exports, FragmentSym, ToolSym

LOOP_FIELDS = {"index": T.Int(), "first": T.Bool(), "last": T.Bool()}
COMPARE_OPS = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "in": "in",
               "notin": "not-in"}


@dataclass(frozen=True)
class Var:
    kind: str  # "input" | "param" | "loop" | "loop-object" | "failed-import"
    type: T.Type


@dataclass(frozen=True)
class ModuleAlias:
    module: str


Binding = Var | ModuleAlias | FragmentSym
Expr = tuple[dict, T.Type]


class TemplateChecker:
    """Checks one text block. `names` are the module-level names visible in it."""

    def __init__(self, parsed: ParsedTemplate, names: Mapping[str, Binding], tools: Mapping[str, ToolSym],
                 module_exports: Callable[[str], Exports | None], sink: DiagnosticSink,
                 where: str):
        self.parsed = parsed
        self.names = names
        self.tools = tools
        self.module_exports = module_exports
        self.narrowed: list[frozenset[tuple[str, ...]]] = []  # paths known non-null here
        self.sink = sink
        self.where = where  # "message" or "fragment"
        self.scopes: list[dict[str, Var]] = []
        self.tool_refs: list[tuple[str, Span]] = []
        self.fragment_refs: list[FragmentSym] = []

    # --- positions -----------------------------------------------------------------
    def _extent(self, node: nodes.Node) -> tuple[int, int]:
        text = self.parsed.block.text
        if node.lineno is None:  # jinja2 leaves some helper nodes (Operand) unpositioned
            ends = [self._extent(c) for c in node.iter_child_nodes()]
            return (min(e[0] for e in ends), max(e[1] for e in ends)) if ends else (0, 1)
        start = max(node.lineno - 1, 0)
        if isinstance(node, nodes.Name):
            return start, start + len(node.name)
        if isinstance(node, nodes.Const):
            if isinstance(node.value, str) and start < len(text) and text[start] in "\"'":
                quote = text[start]
                i = start + 1
                while i < len(text) and text[i] != quote:
                    i += 2 if text[i] == "\\" else 1
                return start, min(i + 1, len(text))
            return start, start + len(str(node.value))
        if isinstance(node, nodes.Getattr):
            s, _ = self._extent(node.node)
            at = text.find(node.attr, start)
            return s, (at + len(node.attr)) if at >= 0 else start + 1
        if isinstance(node, nodes.Filter):
            s = self._extent(node.node)[0] if node.node is not None else start
            end = start + len(node.name)
            for a in node.args:
                end = max(end, self._extent(a)[1] + 1)
            return s, end
        ends = [self._extent(c) for c in node.iter_child_nodes()]
        if ends:
            return min([start] + [e[0] for e in ends]), max(e[1] for e in ends)
        return start, start + 1

    def _origin(self, node: nodes.Node) -> tuple[ParsedTemplate, int]:
        """Where a node's text starts: the lint stage maps it back to the file. Lowering
        drops it, so it never reaches a bundle."""
        return self.parsed, self._extent(node)[0]

    def span(self, node: nodes.Node) -> Span:
        s, e = self._extent(node)
        return self.parsed.span_at(s, max(e - s, 1))

    def name_span(self, node: nodes.Getattr) -> Span:
        text = self.parsed.block.text
        at = text.find(node.attr, max(node.lineno - 1, 0))
        return self.parsed.span_at(at, len(node.attr)) if at >= 0 else self.span(node)

    # --- statements ----------------------------------------------------------------
    def check(self) -> list[dict]:
        if self.parsed.root is None:
            return []
        return self.block(self.parsed.root.body)

    def block(self, body: list[nodes.Node]) -> list[dict]:
        out: list[dict] = []
        for node in body:
            out.extend(self.statement(node))
        return out

    def statement(self, node: nodes.Node) -> list[dict]:
        if isinstance(node, nodes.Output):
            out: list[dict] = []
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append({"kind": "text", "text": child.data, "origin": self._origin(child)})
                else:
                    out.append({**self.output(child), "origin": self._origin(child)})
            return out
        if isinstance(node, nodes.If):
            branches = [{"cond": self.expr(test, truth=True)[0], "body": self.guarded(test, body)}
                        for test, body in [(node.test, node.body)] + [(e.test, e.body) for e in node.elif_]]
            return [{"kind": "if", "branches": branches, "else": self.block(node.else_), "origin": self._origin(node)}]
        if isinstance(node, nodes.For):
            return [self.for_loop(node)]
        what, instead = statement_hint(node)
        self.sink.error("non-portable-template", f"{what} is not part of the portable template subset",
                        self.parsed.node_span(node), notes=(instead,))
        return []

    def guarded(self, test: nodes.Node, body: list[nodes.Node]) -> list[dict]:
        """Check a branch body knowing its condition held: what it tested is not null."""
        self.narrowed.append(truthy_paths(test))
        try:
            return self.block(body)
        finally:
            self.narrowed.pop()

    def _narrow(self, ir: dict, ty: T.Type) -> Expr:
        if ir["kind"] == "var" and T.is_optional(ty) and any(tuple(ir["path"]) in n for n in self.narrowed):
            return ir, T.strip_optional(ty)
        return ir, ty

    def for_loop(self, node: nodes.For) -> dict:
        if node.else_:
            self.sink.error("non-portable-template", "`{% for %}…{% else %}` is not portable", self.span(node),
                            notes=("write `{% if xs %}{% for x in xs %}…{% endfor %}{% else %}…{% endif %}`",))
        if node.test is not None:
            self.sink.error("non-portable-template", "a loop filter `{% for x in xs if … %}` is not portable",
                            self.span(node.test), notes=("put `{% if … %}` inside the loop body",))
        if node.recursive:
            self.sink.error("non-portable-template", "recursive loops are not portable", self.span(node),
                            notes=("flatten the data in the caller",))
        iter_ir, iter_ty = self.expr(node.iter)
        base = T.strip_optional(iter_ty)
        item: T.Type = T.Unknown()
        if isinstance(base, T.List):
            item = base.item
        elif not isinstance(base, T.Unknown):
            self.sink.error("not-iterable", f"cannot loop over `{T.display(iter_ty)}`: loops run only over lists",
                            self.span(node.iter),
                            notes=("declare the input as `list[T]`" if not isinstance(base, T.Map) else
                                   "a map has no order; declare a `list` of objects instead",))
        if not isinstance(node.target, nodes.Name):
            self.sink.error("non-portable-template", "loops bind one name: `{% for x in xs %}`",
                            self.span(node.target), notes=("loop over a list of objects and use `x.field`",))
            return {"kind": "for", "var": "_", "iter": iter_ir, "body": []}
        var = node.target.name
        if var == "loop":
            self.sink.error("non-portable-template", "`loop` cannot be a loop variable: it names the loop's fields",
                            self.span(node.target), notes=("name the item something else: `{% for item in … %}`",))
        self.scopes.append({"loop": Var("loop-object", T.Unknown()), var: Var("loop", item)})
        body = self.block(node.body)
        self.scopes.pop()
        return {"kind": "for", "var": var, "iter": iter_ir, "body": body, "origin": self._origin(node)}

    # --- output --------------------------------------------------------------------
    def output(self, node: nodes.Node) -> dict:
        frag = self.fragment_use(node)
        if frag is not None:
            return frag
        tool = self.tool_use(node)
        if tool is not None:
            return tool
        return self.alternatives(node)[1]

    def alternatives(self, node: nodes.Node) -> tuple[dict, dict]:
        """For a value to render: its IR for a condition, and the node that renders it.

        `{{ a or b }}` renders a when a is truthy, else b; `{{ a and b }}` renders a when a
        is falsy, else b (Jinja2's values, not booleans): both become `if` nodes.
        """
        if isinstance(node, (nodes.And, nodes.Or)):
            left_cond, left_out = self.alternatives(node.left)
            is_and = isinstance(node, nodes.And)
            self.narrowed.append(truthy_paths(node.left) if is_and else frozenset())
            try:
                right_cond, right_out = self.alternatives(node.right)
            finally:
                self.narrowed.pop()
            kind = "and" if is_and else "or"
            cond = {"kind": kind, "args": (left_cond["args"] if left_cond["kind"] == kind else [left_cond])
                    + [right_cond]}
            then, other = (right_out, left_out) if is_and else (left_out, right_out)
            return cond, {"kind": "if", "branches": [{"cond": left_cond, "body": [then]}], "else": [other]}
        ir, ty = self.expr(node)
        base = T.strip_optional(ty)
        if isinstance(base, (T.List, T.Map, T.Object)):
            hint = ("write `{{ x | join(\", \") }}` or loop with `{% for %}`" if isinstance(base, T.List)
                    else "render a field such as `{{ x.name }}`, or the whole value with `{{ x | tojson }}`")
            self.sink.error("not-renderable", f"`{T.display(ty)}` cannot be rendered as text", self.span(node),
                            notes=(hint,))
        return ir, {"kind": "expr", "expr": ir}

    def tool_use(self, node: nodes.Node) -> dict | None:
        if not (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "tools"
                and not self._is_local("tools")):
            return None
        name = node.attr
        span = self.name_span(node)
        if name not in self.tools:
            declared = sorted(self.tools)
            self.sink.error("unknown-tool", f"no tool named `{name}` is declared or imported here", span,
                            notes=suggestion_note(name, declared) or (
                                ("declared tools: " + ", ".join(declared)) if declared
                                else f"declare it: `tool {name}(…) \"what it does\"`, or import it",))
        self.tool_refs.append((name, span))
        return {"kind": "text", "text": name, "tool": name}

    def fragment_use(self, node: nodes.Node) -> dict | None:
        call_args: list[nodes.Keyword] | None = None
        target = node
        if isinstance(node, nodes.Call):
            target = node.node
            call_args = node.kwargs
        is_member, frag = self._module_member(target)
        if not is_member:
            frag = self._fragment_name(target)
        if frag is None:
            if is_member:
                return {"kind": "text", "text": ""}  # already reported
            if isinstance(node, nodes.Call) and isinstance(target, nodes.Name) and target.name not in self.names \
                    and not self._is_local(target.name):
                self._undeclared(target)
                return {"kind": "text", "text": ""}
            return None
        if isinstance(node, nodes.Call) and (node.args or node.dyn_args or node.dyn_kwargs):
            self.sink.error("unknown-argument", "fragment arguments must be named: `frag(name=value)`",
                            self.span(node.args[0] if node.args else node),
                            notes=("write each argument as `param=value`",))
        self.fragment_refs.append(frag)
        written = target.name if isinstance(target, nodes.Name) else f"{target.node.name}.{target.attr}"
        args = self.fragment_args(frag, call_args or [], node, written)
        return {"kind": "call", "fragment": frag, "args": args}

    def _fragment_name(self, node: nodes.Node) -> FragmentSym | None:
        if isinstance(node, nodes.Name) and not self._is_local(node.name):
            binding = self.names.get(node.name)
            return binding if isinstance(binding, FragmentSym) else None
        return None

    def _module_member(self, node: nodes.Node) -> tuple[bool, FragmentSym | None]:
        """For `alias.name` on an imported module: (True, its fragment, or None once reported)."""
        if not (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and not self._is_local(node.node.name)):
            return False, None
        binding = self.names.get(node.node.name)
        if not isinstance(binding, ModuleAlias):
            return False, None
        exports = self.module_exports(binding.module)
        if exports is None:
            return True, None  # the module is in an import cycle: already reported
        frags = exports.fragments
        if node.attr in frags:
            return True, frags[node.attr]
        if exports.complete:
            self.sink.error("unknown-module-member", f"module `{binding.module}` has no fragment `{node.attr}`",
                            self.name_span(node), notes=suggestion_note(node.attr, frags) or (
                                ("its fragments: " + ", ".join(sorted(frags))) if frags
                                else f"`{binding.module}` defines no fragments",))
        return True, None

    def fragment_args(self, frag: FragmentSym, kwargs: list[nodes.Keyword], node: nodes.Node,
                      written: str) -> dict[str, dict]:
        params = {p.name: p for p in (frag.params or ())}
        given: dict[str, dict] = {}
        for kw in kwargs:
            if kw.key not in params:
                value_at = self._extent(kw.value)[0]
                key_at = self.parsed.block.text.rfind(kw.key, 0, value_at)
                self.sink.error("unknown-argument", f"fragment `{frag.name}` has no parameter `{kw.key}`",
                                self.parsed.span_at(key_at, len(kw.key)) if key_at >= 0 else self.span(kw.value),
                                notes=suggestion_note(kw.key, params) or (
                                    ("its parameters: " + ", ".join(params)) if params else
                                    f"`{frag.name}` takes no arguments: write `{{{{ {written} }}}}`",))
                continue
            ir, ty = self.expr(kw.value)
            want = params[kw.key].type
            if not _assignable(ty, want):
                self.sink.error("type-mismatch",
                                f"argument `{kw.key}` of `{frag.name}` needs `{T.display(want)}`, got `{T.display(ty)}`",
                                self.span(kw.value), notes=_mismatch_hint(ty, want))
            given[kw.key] = ir
        missing = [p for p in params.values() if p.name not in given and not p.has_default]
        for p in missing:
            self.sink.error("missing-argument", f"fragment `{frag.name}` needs the argument `{p.name}`",
                            self.span(node), notes=(f"write `{frag.name}({p.name}=…)` with a `{T.display(p.type)}`",))
        for p in params.values():
            if p.name not in given and p.has_default:
                given[p.name] = {"kind": "const", "value": p.default}
        return given

    # --- expressions ---------------------------------------------------------------
    def _is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def _lookup(self, name: str) -> Var | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        binding = self.names.get(name)
        return binding if isinstance(binding, Var) else None

    def _undeclared(self, node: nodes.Name) -> None:
        candidates = [n for n, b in self.names.items() if isinstance(b, Var) and b.kind != "failed-import"]
        candidates += [n for scope in self.scopes for n in scope]
        if self.where == "fragment":
            hint = (f"fragments see only their parameters: add `{node.name}: str` to the fragment's parameters "
                    "and pass it in",)
        else:
            hint = (f"declare it: `input {node.name}: str`",)
        self.sink.error("undeclared-variable", f"`{node.name}` is not declared", self.span(node),
                        notes=suggestion_note(node.name, candidates) or hint)

    def expr(self, node: nodes.Node, truth: bool = False) -> Expr:
        """Check an expression and give its IR and type. `truth`: only its truthiness is used
        (a condition), so `and`/`or`, which the IR evaluates to booleans, mean what they mean
        in Jinja2; elsewhere their value would differ from Jinja2's and they are errors."""
        if isinstance(node, nodes.Name):
            if node.name == "loop" and not self._is_local("loop"):
                self.sink.error("undeclared-variable", "`loop` exists only inside `{% for %}`", self.span(node),
                                notes=("move this inside the loop body",))
                return {"kind": "const", "value": None}, T.Unknown()
            var = self._lookup(node.name)
            if var is not None:
                return self._narrow({"kind": "var", "path": [node.name]}, var.type)
            binding = self.names.get(node.name)
            if binding is not None:
                kind = "a fragment" if isinstance(binding, FragmentSym) else "a module"
                self.sink.error("type-mismatch", f"`{node.name}` is {kind}, not a value", self.span(node),
                                notes=("inline a fragment with `{{ name }}` on its own",))
                return {"kind": "const", "value": None}, T.Unknown()
            if node.name == "tools":
                self.sink.error("unknown-tool", "`tools` on its own names no tool", self.span(node),
                                notes=("write `{{ tools.tool_name }}`",))
                return {"kind": "const", "value": None}, T.Unknown()
            self._undeclared(node)
            return {"kind": "const", "value": None}, T.Unknown()
        if isinstance(node, nodes.Const):
            value = node.value
            if isinstance(value, str):
                return {"kind": "const", "value": value}, T.Literal((value,))
            if isinstance(value, bool):
                return {"kind": "const", "value": value}, T.Bool()
            if isinstance(value, int):
                return {"kind": "const", "value": value}, T.Int()
            if isinstance(value, float):
                return {"kind": "const", "value": value}, T.Float()
            return {"kind": "const", "value": None}, T.Optional(T.Unknown())
        if isinstance(node, nodes.List):
            items = [self.expr(i) for i in node.items]
            if any(ir["kind"] != "const" for ir, _ in items):
                self.sink.error("non-portable-template", "list literals may hold only literal values",
                                self.span(node), notes=("pass the list in as an input",))
            item_ty = items[0][1] if items else T.Unknown()
            if items and all(isinstance(t, T.Literal) for _, t in items):
                item_ty = T.Literal(tuple(v for _, t in items for v in t.values))
            return {"kind": "const", "value": [ir.get("value") for ir, _ in items]}, T.List(item_ty)
        if isinstance(node, nodes.Getattr):
            return self.getattr(node)
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, (nodes.And, nodes.Or)):
            kind = "and" if isinstance(node, nodes.And) else "or"
            if not truth:
                self.sink.error("non-portable-template", f"`{kind}` here would give a boolean, not Jinja2's value",
                                self.span(node), notes=(
                                    "`or` and `and` give values only directly in `{{ … }}` and in conditions; "
                                    "for a fallback write `x | default(\"…\")`",))
            left = self.expr(node.left, truth=True)[0]
            # In `a and b`, b is only evaluated when a is truthy: a's paths are non-null there.
            guard = truthy_paths(node.left) if kind == "and" else frozenset()
            self.narrowed.append(guard)
            right = self.expr(node.right, truth=True)[0]
            self.narrowed.pop()
            args = (left["args"] if left["kind"] == kind else [left]) + [right]
            return {"kind": kind, "args": args}, (T.Bool() if truth else T.Unknown())  # no follow-on errors
        if isinstance(node, nodes.Not):
            return {"kind": "not", "arg": self.expr(node.node, truth=True)[0]}, T.Bool()
        if isinstance(node, nodes.Call) and (self._fragment_name(node.node) is not None
                                             or self._module_member(node.node)[0]):
            self.sink.error("type-mismatch", "a fragment is text to inline, not a value", self.span(node),
                            notes=("write `{{ fragment(…) }}` on its own",))
            return {"kind": "const", "value": None}, T.Unknown()
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in ALLOWED_FILTERS:
            attr = node.node.attr
            self.sink.error("non-portable-template", f"method calls such as `.{attr}()` are not portable",
                            self.span(node), notes=(f"use the filter: `{{{{ x | {attr} }}}}`",))
            return {"kind": "const", "value": None}, T.Unknown()
        what, instead = expression_hint(node)
        self.sink.error("non-portable-template", f"{what} is not part of the portable template subset",
                        self.span(node), notes=(instead,))
        return {"kind": "const", "value": None}, T.Unknown()

    def getattr(self, node: nodes.Getattr) -> Expr:
        if isinstance(node.node, nodes.Name) and node.node.name == "tools" and not self._is_local("tools"):
            self.tool_use(node)
            return {"kind": "const", "value": node.attr}, T.Str()
        is_member, frag = self._module_member(node)
        if is_member:
            if frag is not None:
                self.sink.error("type-mismatch", "a fragment is text to inline, not a value", self.span(node),
                                notes=("write `{{ module.fragment }}` on its own",))
            return {"kind": "const", "value": None}, T.Unknown()
        base_ir, base_ty = self.expr(node.node)
        loop = self._lookup("loop") if isinstance(node.node, nodes.Name) and node.node.name == "loop" else None
        if loop is not None and loop.kind == "loop-object":
            if node.attr not in LOOP_FIELDS:
                self.sink.error("unknown-field", f"`loop` has no field `{node.attr}`", self.name_span(node),
                                notes=("loop fields: index (from 1), first, last",))
                return {"kind": "const", "value": None}, T.Unknown()
            return {"kind": "var", "path": ["loop", node.attr]}, LOOP_FIELDS[node.attr]
        ty = T.strip_optional(base_ty)
        if isinstance(ty, T.Unknown):
            return _extend(base_ir, node.attr), T.Unknown()
        if isinstance(ty, T.Object):
            field_ty = ty.field(node.attr)
            if field_ty is None:
                names = [k for k, _ in ty.fields]
                self.sink.error("unknown-field", f"`{T.display(ty)}` has no field `{node.attr}`", self.name_span(node),
                                notes=suggestion_note(node.attr, names) or ("fields: " + ", ".join(names),))
                return {"kind": "const", "value": None}, T.Unknown()
            result = field_ty if not T.is_optional(base_ty) else T.Optional(T.strip_optional(field_ty))
            return self._narrow(_extend(base_ir, node.attr), result)
        if isinstance(ty, T.Map):
            return self._narrow(_extend(base_ir, node.attr), T.Optional(ty.value))
        self.sink.error("unknown-field", f"`{T.display(base_ty)}` has no fields (looked up `.{node.attr}`)",
                        self.name_span(node), notes=("only object types have fields",))
        return {"kind": "const", "value": None}, T.Unknown()

    def filter(self, node: nodes.Filter) -> Expr:
        name = node.name
        if node.node is None:
            return {"kind": "const", "value": None}, T.Unknown()
        arg_ir, arg_ty = self.expr(node.node)
        if name not in ALLOWED_FILTERS:
            self.sink.error("unknown-filter", f"`{name}` is not a portable filter",
                            self.parsed.node_span(node, len(name)),
                            notes=suggestion_note(name, ALLOWED_FILTERS) or (
                                "portable filters: " + ", ".join(ALLOWED_FILTERS),))
            return {"kind": "const", "value": None}, T.Unknown()
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            self.sink.error("filter-argument", f"`{name}` takes its arguments by position", self.span(node),
                            notes=(f"write `| {name}(…)` without names",))
        args = [self.expr(a) for a in node.args]
        arity = {"join": (0, 1), "default": (1, 1)}.get(name, (0, 0))
        fspan = self.parsed.node_span(node, len(name))
        if not arity[0] <= len(args) <= arity[1]:
            want = {(0, 0): "no arguments", (0, 1): "one optional argument", (1, 1): "one argument"}[arity]
            self.sink.error("filter-argument", f"`{name}` takes {want}, got {len(args)}", fspan,
                            notes=({"join": 'write `| join(", ")`', "default": 'write `| default("…")`'}.get(
                                name, f"write `| {name}`"),))
            args = args[: arity[1]]
        ir = {"kind": "filter", "name": name, "arg": arg_ir, "args": [a for a, _ in args]}
        if name == "join" and not args:  # Jinja2 joins with "" by default; the IR always says
            ir["args"] = [{"kind": "const", "value": ""}]
        base = T.strip_optional(arg_ty)
        unknown = isinstance(base, T.Unknown)
        if name in ("upper", "lower", "trim", "title"):
            if not unknown and not T.is_stringlike(base):
                self._filter_type(fspan, name, arg_ty, "a string")
            elif T.is_optional(arg_ty):
                self._maybe_null(fspan, name, node)
            return ir, T.Str()
        if name == "join":
            if not unknown and not (isinstance(base, T.List) and T.is_scalar(base.item)):
                self._filter_type(fspan, name, arg_ty, "a list of strings or numbers")
            elif T.is_optional(arg_ty):
                self._maybe_null(fspan, name, node)
            if args and not T.is_stringlike(args[0][1]):
                self.sink.error("filter-argument", f"the separator of `join` must be a string, got "
                                f"`{T.display(args[0][1])}`", self.span(node.args[0]), notes=('write `join(", ")`',))
            return ir, T.Str()
        if name == "length":
            if not unknown and not isinstance(base, (T.Str, T.Literal, T.List, T.Map)):
                self._filter_type(fspan, name, arg_ty, "a string, list or map")
            elif T.is_optional(arg_ty):
                self._maybe_null(fspan, name, node)
            return ir, T.Int()
        if name == "default":
            if args and not unknown and not _assignable(args[0][1], base) and not (
                    T.is_stringlike(args[0][1]) and T.is_scalar(base)):
                self.sink.error("filter-argument", f"the default `{T.display(args[0][1])}` does not fit "
                                f"`{T.display(arg_ty)}`", self.span(node.args[0]),
                                notes=(f"give a `{T.display(base)}` value",))
            return ir, base
        return ir, T.Str()  # tojson

    def _filter_type(self, span: Span, name: str, ty: T.Type, wants: str) -> None:
        self.sink.error("filter-argument", f"`{name}` needs {wants}, got `{T.display(ty)}`", span,
                        notes=("apply it to a value of that type",))

    def _maybe_null(self, span: Span, name: str, node: nodes.Filter) -> None:
        shown = self.parsed.block.text[slice(*self._extent(node.node))]
        empty = "[]" if name == "join" else '""'
        self.sink.error("filter-argument", f"`{name}` is applied to `{shown}`, which may be null", span,
                        notes=(f"wrap it in `{{% if {shown} %}}…{{% endif %}}`, or write "
                               f"`{shown} | default({empty}) | {name}`",))

    def compare(self, node: nodes.Compare) -> Expr:
        if len(node.ops) != 1:
            self.sink.error("non-portable-template", "chained comparisons are not portable", self.span(node),
                            notes=("write `a < b and b < c`",))
        left_ir, left_ty = self.expr(node.expr)
        op = node.ops[0]
        right_ir, right_ty = self.expr(op.expr)
        symbol = COMPARE_OPS.get(op.op, op.op)
        ir = {"kind": "compare", "op": symbol, "left": left_ir, "right": right_ir}
        if symbol in ("==", "!="):
            self._literal_member(node.expr, left_ty, op.expr, right_ty)
            if not T.comparable(left_ty, right_ty):
                self.sink.error("type-mismatch", f"comparing `{T.display(left_ty)}` with `{T.display(right_ty)}` "
                                "is never true", self.span(node), notes=("compare values of the same type",))
        elif symbol in ("in", "not-in"):
            container = T.strip_optional(right_ty)
            if isinstance(container, T.List):
                self._literal_member(node.expr, left_ty, op.expr, container.item, is_list=True)
            elif not isinstance(container, (T.Str, T.Literal, T.Unknown)):
                self.sink.error("type-mismatch", f"`in` needs a list or a string on the right, got "
                                f"`{T.display(right_ty)}`", self.span(op.expr),
                                notes=('write `x in ["a", "b"]` or `"word" in text`',))
        else:
            ok = (T.is_numeric(left_ty) and T.is_numeric(right_ty)) or (
                T.is_stringlike(left_ty) and T.is_stringlike(right_ty))
            maybe_null = [n for n, t in ((node.expr, left_ty), (op.expr, right_ty)) if T.is_optional(t)]
            if ok and maybe_null:
                shown = self.parsed.block.text[slice(*self._extent(maybe_null[0]))]
                self.sink.error("type-mismatch", f"`{shown}` may be null, and `{symbol}` needs a value",
                                self.span(maybe_null[0]),
                                notes=(f"test it first: `{shown} and {self.parsed.block.text[slice(*self._extent(node))]}`"
                                       ", or give it a default",))
            if not ok:
                self.sink.error("type-mismatch", f"`{symbol}` needs two numbers or two strings, got "
                                f"`{T.display(left_ty)}` and `{T.display(right_ty)}`", self.span(node),
                                notes=("compare numbers with numbers and strings with strings",))
        return ir, T.Bool()

    def _literal_member(self, lnode, lty, rnode, rty, is_list: bool = False) -> None:
        """`tier == "enterprse"`: a literal that is not in the union can never match."""
        pairs = [(lty, rnode, rty)] + ([] if is_list else [(rty, lnode, lty)])
        for union, const_node, const_ty in pairs:
            union = T.strip_optional(union)
            if not isinstance(union, T.Literal) or len(union.values) < 2 and not isinstance(
                    const_node, (nodes.Const, nodes.List)):
                continue
            consts = ([i for i in const_node.items if isinstance(i, nodes.Const)] if isinstance(const_node, nodes.List)
                      else [const_node] if isinstance(const_node, nodes.Const) else [])
            for c in consts:
                if isinstance(c.value, str) and c.value not in union.values and union is not const_ty:
                    self.sink.error("not-a-member", f'"{c.value}" is not a member of `{T.display(union)}`',
                                    self.span(c), notes=suggestion_note(c.value, union.values) or (
                                        "members: " + ", ".join(f'"{v}"' for v in union.values),))


def _extend(ir: dict, attr: str) -> dict:
    if ir["kind"] == "var":
        return {"kind": "var", "path": ir["path"] + [attr]}
    return {"kind": "const", "value": None}


def _assignable(src: T.Type, dst: T.Type) -> bool:
    if isinstance(src, T.Unknown) or isinstance(dst, T.Unknown):
        return True
    if isinstance(dst, T.Optional):
        return _assignable(T.strip_optional(src), dst.inner)
    if isinstance(src, T.Optional):
        return isinstance(src.inner, T.Unknown)
    if isinstance(dst, T.Str):
        return isinstance(src, (T.Str, T.Literal))
    if isinstance(dst, T.Literal):
        return isinstance(src, T.Literal) and set(src.values) <= set(dst.values)
    if isinstance(dst, T.Float):
        return isinstance(src, (T.Int, T.Float))
    if isinstance(dst, (T.Int, T.Bool)):
        return type(src) is type(dst)
    if isinstance(dst, T.List):
        return isinstance(src, T.List) and (_assignable(src.item, dst.item) or isinstance(src.item, T.Unknown))
    if isinstance(dst, T.Map):
        return isinstance(src, T.Map) and _assignable(src.value, dst.value)
    if isinstance(dst, T.Object):
        if not isinstance(src, T.Object):
            return False
        have = dict(src.fields)
        return all((k in have and _assignable(have[k], t)) or (k not in have and T.is_optional(t))
                   for k, t in dst.fields)
    return False


def _mismatch_hint(src: T.Type, dst: T.Type) -> tuple[str, ...]:
    if isinstance(src, T.Optional) and not isinstance(dst, T.Optional):
        return ('the value may be null: add `| default(…)` or make the parameter optional with `?`',)
    if isinstance(T.strip_optional(dst), T.Literal):
        return ("pass one of " + ", ".join(f'"{v}"' for v in T.strip_optional(dst).values),)
    return (f"pass a `{T.display(dst)}`",)


assignable = _assignable


def node_path(node: nodes.Node) -> tuple[str, ...] | None:
    """`a.b.c` as ("a", "b", "c"); None for anything that is not a plain reference."""
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        base = node_path(node.node)
        return base + (node.attr,) if base else None
    return None


def truthy_paths(test: nodes.Node) -> frozenset[tuple[str, ...]]:
    """References that cannot be null when `test` is truthy."""
    path = node_path(test)
    if path is not None:
        return frozenset({path})
    if isinstance(test, nodes.And):
        return truthy_paths(test.left) | truthy_paths(test.right)
    if isinstance(test, nodes.Compare) and len(test.ops) == 1 and test.ops[0].op in ("eq", "gt", "gteq", "lt", "lteq"):
        other = test.ops[0].expr
        if isinstance(other, nodes.Const) and other.value is not None:
            left = node_path(test.expr)
            return frozenset({left}) if left else frozenset()
    return frozenset()
