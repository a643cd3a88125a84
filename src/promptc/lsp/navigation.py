"""What each name in a checked module refers to: the index behind hover and definition.

`index_module` walks a module's declarations and template text once and records every
occurrence of a name (where it is written) with its `Target` (what it is, and where that
is defined). Positions are promptc spans: 1-based lines, code-point columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes

from ..driver import CompileResult
from ..semantic import types as T
from ..semantic.checker import CheckedModule, InputSym
from ..semantic.symbols import Exports, FragmentSym, ParamSym, ToolSym, TypeSym
from ..semantic.templates import LOOP_FIELDS
from ..source import Span
from ..syntax import ast
from ..syntax.template import ParsedTemplate


@dataclass(frozen=True)
class Target:
    """A thing a name can denote. `span` is where it is defined (None for built-ins)."""

    kind: str  # input | param | loop | loop-field | field | fragment | tool | type | module | message
    name: str
    span: Span | None
    module: str | None = None  # the module that defines it (for `module`: the module itself)
    detail: Any = None  # InputSym, ParamSym, FragmentSym, ToolSym, TypeSym, T.Type or a message index


@dataclass(frozen=True)
class Occurrence:
    span: Span
    target: Target


@dataclass
class ModuleIndex:
    module: str
    occurrences: list[Occurrence] = field(default_factory=list)

    def at(self, line: int, column: int) -> Occurrence | None:
        """The innermost occurrence under a cursor; the end of a name still counts."""
        best: Occurrence | None = None
        for occ in self.occurrences:
            s = occ.span
            if (s.line, s.column) <= (line, column) <= (s.end_line, s.end_column):
                if best is None or _size(s) < _size(best.span):
                    best = occ
        return best


def _size(span: Span) -> tuple[int, int]:
    return span.end_line - span.line, span.end_column - span.column


def exports_of(result: CompileResult, module: str) -> Exports | None:
    program = result.program
    if program is None:
        return None
    if module in program.exports:
        return program.exports[module]
    checked = program.modules.get(module)
    return checked.exports if checked else None


def module_target(result: CompileResult, module: str) -> Target:
    display = result.graph.displays.get(module) if result.graph else None
    return Target("module", module, Span(display, 1, 1, 1, 1) if display else None, module)


def exported(ex: Exports | None, name: str) -> Target | None:
    """What module exports `ex` define under `name` (a fragment, a type or a tool)."""
    if ex is None:
        return None
    if name in ex.fragments:
        f = ex.fragments[name]
        return Target("fragment", f.name, f.span, f.module, f)
    if name in ex.types:
        t = ex.types[name]
        return Target("type", t.name, t.span, t.module, t)
    if name in ex.tools:
        t = ex.tools[name]
        return Target("tool", t.name, t.span, t.module, t)
    return None


def import_bindings(result: CompileResult, checked: CheckedModule):
    """Each resolved import of a module: (decl, target module, None) for the module itself,
    then (decl, target module, (item, Target)) for each name a from-import binds."""
    graph = result.graph
    edges = graph.edges.get(checked.name, []) if graph else []
    resolved = {id(decl): target for target, decl in edges}
    for decl in checked.syntax.decls:
        if not isinstance(decl, (ast.Import, ast.FromImport)):
            continue
        target = resolved.get(id(decl)) or next((t for t, d in edges if d == decl), None)
        if target is None:
            continue
        yield decl, target, None
        if isinstance(decl, ast.FromImport):
            ex = exports_of(result, target)
            for item in decl.items:
                found = exported(ex, item.name.text)
                if found is not None:
                    yield decl, target, (item, found)


@dataclass
class Bindings:
    """The module-level names visible in a module's templates and types."""

    fragments: dict[str, FragmentSym] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # `import a.b as x`: x → a.b
    types: dict[str, Target] = field(default_factory=dict)
    inputs: dict[str, InputSym] = field(default_factory=dict)
    tools: dict[str, ToolSym] = field(default_factory=dict)


def bindings_of(result: CompileResult, checked: CheckedModule) -> Bindings:
    ix = _Indexer(result, checked)
    ix.imports()
    types = {name: ix.type_target(name) for name in [*ix.local_types, *ix.imported_types]}
    return Bindings(dict(ix.fragments), dict(ix.aliases), types, dict(ix.inputs), dict(checked.tools))


def index_module(result: CompileResult, checked: CheckedModule) -> ModuleIndex:
    return _Indexer(result, checked).run()


class _Indexer:
    def __init__(self, result: CompileResult, checked: CheckedModule):
        self.result = result
        self.checked = checked
        self.syntax: ast.Module = checked.syntax
        self.out = ModuleIndex(checked.name)
        self.local_types = {d.name.text: d for d in self.syntax.of(ast.TypeDecl)}
        self.imported_types: dict[str, TypeSym] = {}
        self.fragments: dict[str, FragmentSym] = dict(checked.exports.fragments)
        self.aliases: dict[str, str] = {}
        self.inputs: dict[str, InputSym] = {i.name: i for i in checked.inputs}

    def add(self, span: Span | None, target: Target) -> None:
        if span is not None:
            self.out.occurrences.append(Occurrence(span, target))

    def run(self) -> ModuleIndex:
        self.imports()
        for decl in self.syntax.decls:
            if isinstance(decl, ast.TypeDecl):
                self.add(decl.name.span, self.type_target(decl.name.text))
                self.type_refs(decl.type)
            elif isinstance(decl, ast.InputDecl):
                sym = self.inputs.get(decl.name.text)
                self.add(decl.name.span, Target("input", decl.name.text, decl.name.span, self.checked.name, sym))
                self.type_refs(decl.type)
            elif isinstance(decl, ast.ToolDecl):
                tool = self.checked.tools.get(decl.name.text)
                self.add(decl.name.span, Target("tool", decl.name.text, decl.name.span, self.checked.name, tool))
                for p in decl.params:
                    self.type_refs(p.type)
            elif isinstance(decl, ast.OutputDecl) and decl.schema is not None:
                self.type_refs(decl.schema)
            elif isinstance(decl, ast.FragmentDecl):
                self.fragment_decl(decl)
        for i, message in enumerate(self.checked.messages):
            role = next((d.role for d in self.syntax.of(ast.MessageDecl) if d.span == message.span), None)
            if role is not None:
                self.add(role.span, Target("message", role.text, message.span, self.checked.name, i))
            self.template(message.template, {})
        return self.out

    # --- declarations -------------------------------------------------------------------
    def imports(self) -> None:
        for decl, target, found in import_bindings(self.result, self.checked):
            if found is None:  # the module itself
                self.add(decl.module_span, module_target(self.result, target))
                if isinstance(decl, ast.Import):
                    self.aliases[decl.binding.text] = target
                    if decl.alias is not None:
                        self.add(decl.alias.span, module_target(self.result, target))
                continue
            item, what = found
            self.add(item.name.span, what)
            if item.alias is not None:
                self.add(item.alias.span, what)
            if what.kind == "type":
                self.imported_types[item.binding.text] = what.detail
            elif what.kind == "fragment":
                self.fragments[item.binding.text] = what.detail

    def type_target(self, name: str) -> Target:
        if name in self.local_types:
            decl = self.local_types[name]
            sym = self.checked.exports.types.get(name)
            return Target("type", name, decl.name.span, self.checked.name, sym or decl)
        if name in self.imported_types:
            sym = self.imported_types[name]
            return Target("type", sym.name, sym.span, sym.module, sym)
        return Target("type", name, None, None, None)  # built-in or unknown

    def type_refs(self, expr: ast.TypeExpr) -> None:
        if isinstance(expr, ast.NamedType):
            self.add(expr.name.span, self.type_target(expr.name.text))
        elif isinstance(expr, (ast.ListType,)):
            self.type_refs(expr.item)
        elif isinstance(expr, ast.MapType):
            self.type_refs(expr.value)
        elif isinstance(expr, ast.OptionalType):
            self.type_refs(expr.inner)
        elif isinstance(expr, ast.ObjectType):
            for f in expr.fields:
                self.type_refs(f.type)

    def fragment_decl(self, decl: ast.FragmentDecl) -> None:
        sym = self.checked.exports.fragments.get(decl.name.text)
        self.add(decl.name.span, Target("fragment", decl.name.text, decl.name.span, self.checked.name, sym))
        params: dict[str, Target] = {}
        for p in decl.params or ():
            ptype = next((ps for ps in (sym.params or ()) if ps.name == p.name.text), None) if sym else None
            target = Target("param", p.name.text, p.name.span, self.checked.name, ptype)
            params[p.name.text] = target
            self.add(p.name.span, target)
            self.type_refs(p.type)
        if sym is not None and sym.template is not None:
            self.template(sym.template, params, in_fragment=True)

    # --- templates ----------------------------------------------------------------------
    def template(self, parsed: ParsedTemplate, params: dict[str, Target], in_fragment: bool = False) -> None:
        if parsed.root is None:
            return
        walker = _TemplateWalker(self, parsed, params, in_fragment)
        walker.block(parsed.root.body)


class _TemplateWalker:
    def __init__(self, indexer: _Indexer, parsed: ParsedTemplate, params: dict[str, Target], in_fragment: bool):
        self.ix = indexer
        self.parsed = parsed
        self.params = params
        self.in_fragment = in_fragment
        self.scopes: list[dict[str, Target]] = []

    def span(self, offset: int, length: int) -> Span:
        return self.parsed.span_at(offset, length)

    def attr_span(self, node: nodes.Getattr) -> Span | None:
        at = self.parsed.block.text.find(node.attr, max(node.lineno - 1, 0))
        return self.span(at, len(node.attr)) if at >= 0 else None

    def block(self, body: list[nodes.Node]) -> None:
        for node in body:
            self.visit(node)

    def visit(self, node: nodes.Node) -> Target | None:
        """Record the names in `node`; return what the whole expression denotes, if known."""
        if isinstance(node, nodes.For):
            self.visit(node.iter)
            item = _item_type(self.type_of(node.iter))
            scope: dict[str, Target] = {}
            if isinstance(node.target, nodes.Name):
                at = max(node.target.lineno - 1, 0)
                span = self.span(at, len(node.target.name))
                target = Target("loop", node.target.name, span, self.ix.checked.name, item)
                scope[node.target.name] = target
                self.ix.add(span, target)
            scope["loop"] = Target("loop", "loop", None, None, None)
            self.scopes.append(scope)
            self.block(node.body)
            self.scopes.pop()
            self.block(node.else_)
            return None
        if isinstance(node, nodes.Name):
            target = self.resolve(node.name)
            if target is not None:
                self.ix.add(self.span(max(node.lineno - 1, 0), len(node.name)), target)
            return target
        if isinstance(node, nodes.Getattr):
            return self.getattr(node)
        for child in node.iter_child_nodes():
            self.visit(child)
        return None

    def getattr(self, node: nodes.Getattr) -> Target | None:
        base = node.node
        if isinstance(base, nodes.Name) and base.name == "tools" and not self.local("tools"):
            tool = self.ix.checked.tools.get(node.attr)
            if tool is None:
                return None
            target = Target("tool", tool.name, tool.span, tool.module, tool)
            self.ix.add(self.attr_span(node), target)
            return target
        if isinstance(base, nodes.Name) and not self.local(base.name) and base.name in self.ix.aliases:
            module = self.ix.aliases[base.name]
            self.ix.add(self.span(max(base.lineno - 1, 0), len(base.name)), module_target(self.ix.result, module))
            ex = exports_of(self.ix.result, module)
            found = exported(ex, node.attr)
            if found is not None:
                self.ix.add(self.attr_span(node), found)
            return found
        if isinstance(base, nodes.Name) and base.name == "loop" and self.local("loop"):
            ty = LOOP_FIELDS.get(node.attr)
            target = Target("loop-field", f"loop.{node.attr}", None, None, ty)
            if ty is not None:
                self.ix.add(self.attr_span(node), target)
            return target
        owner = self.visit(base)
        ty = T.strip_optional(_value_type(owner)) if owner is not None else None
        if isinstance(ty, T.Object):
            fty = ty.field(node.attr)
            if fty is not None:
                target = Target("field", f"{T.display(ty)}.{node.attr}", None, None, fty)
                self.ix.add(self.attr_span(node), target)
                return target
        if isinstance(ty, T.Map):
            return Target("field", node.attr, None, None, T.Optional(ty.value))
        return None

    def local(self, name: str) -> bool:
        return any(name in s for s in self.scopes)

    def resolve(self, name: str) -> Target | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.params:
            return self.params[name]
        ix = self.ix
        if name in ix.fragments:
            f = ix.fragments[name]
            return Target("fragment", f.name, f.span, f.module, f)
        if name in ix.aliases:
            return module_target(ix.result, ix.aliases[name])
        if not self.in_fragment and name in ix.inputs:
            sym = ix.inputs[name]
            return Target("input", name, sym.span, ix.checked.name, sym)
        return None

    def type_of(self, node: nodes.Node) -> T.Type | None:
        if isinstance(node, nodes.Name):
            for scope in reversed(self.scopes):
                if node.name in scope:
                    return _value_type(scope[node.name])
            if node.name in self.params:
                return _value_type(self.params[node.name])
            if not self.in_fragment and node.name in self.ix.inputs:
                return self.ix.inputs[node.name].type
            return None
        if isinstance(node, nodes.Getattr):
            base = self.type_of(node.node)
            base = T.strip_optional(base) if base is not None else None
            if isinstance(base, T.Object):
                return base.field(node.attr)
            return None
        if isinstance(node, nodes.Filter) and node.name == "default" and node.node is not None:
            return self.type_of(node.node)
        return None


def _value_type(target: Target | None) -> T.Type | None:
    if target is None:
        return None
    d = target.detail
    if isinstance(d, (InputSym, ParamSym)):
        return d.type
    if target.kind in ("loop", "field", "loop-field") and d is not None and not isinstance(d, (str, int)):
        return d
    return None


def _item_type(ty: T.Type | None) -> T.Type | None:
    base = T.strip_optional(ty) if ty is not None else None
    return base.item if isinstance(base, T.List) else None
