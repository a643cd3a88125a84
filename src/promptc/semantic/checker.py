"""Check a module graph: bind names, resolve types, check declarations and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, MutableMapping

import jsonschema

from ..diagnostics import Diagnostic, DiagnosticSink, Label, suggestion_note
from ..modules.resolver import ModuleGraph
from ..source import SourceFile, Span
from ..syntax import ast
from ..syntax.frontmatter import FrontMatter
from ..syntax.template import ParsedTemplate, parse_template
from . import types as T
from .symbols import Exports, FragmentSym, ParamSym, ToolSym, TypeResolver, TypeSym, check_default
from .templates import Binding, ModuleAlias, TemplateChecker, Var

#: Reads an output schema file relative to the project root: (schema, None) or (None, error).
SchemaReader = Callable[[str], "tuple[Any, str | None]"]


@dataclass(frozen=True)
class InputSym:
    name: str
    type: T.Type
    default: Any
    has_default: bool
    span: Span


@dataclass
class CheckedMessage:
    role: str
    body: list[dict]
    template: ParsedTemplate
    span: Span


@dataclass
class CheckedModule:
    name: str
    source: SourceFile | None
    syntax: ast.Module
    front: FrontMatter | None
    exports: Exports
    inputs: list[InputSym] = field(default_factory=list)
    tools: dict[str, ToolSym] = field(default_factory=dict)  # local and imported
    tool_spans: dict[str, Span] = field(default_factory=dict)  # where each is declared or imported here
    output: dict = field(default_factory=lambda: {"type": "text"})
    messages: list[CheckedMessage] = field(default_factory=list)
    tool_refs: list[tuple[str, Span]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def is_prompt(self) -> bool:
        return bool(self.syntax.of(ast.MessageDecl))

    def inputs_schema(self) -> dict:
        return T.object_schema([(i.name, i.type) for i in self.inputs],
                               {i.name: i.default for i in self.inputs if i.has_default})


@dataclass
class Program:
    graph: ModuleGraph
    modules: dict[str, CheckedModule]
    diagnostics: list[Diagnostic]
    exports: dict[str, Exports] = field(default_factory=dict)


def check_program(graph: ModuleGraph, read_schema: SchemaReader, only: set[str] | None = None,
                  progress=None, memo: MutableMapping | None = None, keys: Mapping[str, str] | None = None) -> Program:
    """Check the modules of `graph` in dependency order (only those in `only`, if given:
    the caller guarantees it is closed under imports). A long-lived caller may pass a `memo`
    of checked modules and each module's `keys` (the hash of its import closure): a module
    whose key is in the memo is not checked again."""
    exports: dict[str, Exports] = {}
    modules: dict[str, CheckedModule] = {}
    diagnostics: list[Diagnostic] = []
    for name in graph.order:
        if name not in graph.sources or (only is not None and name not in only):
            continue
        if progress:
            progress("Checking", len(modules), len(only) if only is not None else len(graph.order))
        k = keys.get(name) if memo is not None and keys is not None else None
        if k is not None and k in memo:
            checked = memo[k]
        else:
            checked = check_module(graph, name, exports, read_schema)
            if k is not None:
                memo[k] = checked
        exports[name] = checked.exports
        modules[name] = checked
        diagnostics.extend(checked.diagnostics)
    return Program(graph, modules, diagnostics, exports)


def check_module(graph: ModuleGraph, name: str, exports: dict[str, Exports], read_schema: SchemaReader) -> CheckedModule:
    """Check one module whose imports are already checked (their exports are given)."""
    return ModuleChecker(graph, name, exports, read_schema).run()


class ModuleChecker:
    def __init__(self, graph: ModuleGraph, name: str, exports: dict[str, Exports], read_schema: SchemaReader):
        self.graph = graph
        self.name = name
        self.module = graph.module(name)
        self.source = graph.sources[name]
        self.exports = exports
        self.read_schema = read_schema
        self.sink = DiagnosticSink()
        self.out = Exports(name)
        self.names: dict[str, Binding] = {}
        self.name_spans: dict[str, Span] = {}
        self.imported_types: dict[str, TypeSym] = {}
        self.tools: dict[str, ToolSym] = {}
        self.tool_spans: dict[str, Span] = {}

    # --- namespaces ------------------------------------------------------------------
    def _bind(self, table: dict, spans: dict, name: str, value: Any, span: Span, what: str) -> None:
        if name in table:
            self.sink.error("duplicate-definition", f"{what} `{name}` is defined twice", span,
                            labels=[Label(spans[name], "first defined here")],
                            notes=("rename one of them, or import with `as` under another name",))
            return
        table[name] = value
        spans[name] = span

    def run(self) -> CheckedModule:
        # A module with syntax errors exports what it could parse; names missing from it
        # are not reported again in its importers.
        self.out.complete = not any(d.is_error for d in graph_header_diags(self.graph, self.name))
        self.bind_imports()
        local_types = self.declare_types()
        resolver = TypeResolver(self.sink, self.imported_types.get, local_types,
                                lambda: [*local_types, *self.imported_types])
        for tname, decl in local_types.items():
            self.out.types[tname] = TypeSym(tname, self.name, resolver.named(tname, decl.name.span), decl.name.span)
        self.declare_tools(resolver)
        inputs = self.declare_inputs(resolver)
        fragments = self.declare_fragments(resolver)
        output = self.declare_output(resolver)
        checked = CheckedModule(self.name, self.source, self.module, self.module.front, self.out,
                                inputs=inputs, tools=dict(self.tools), tool_spans=dict(self.tool_spans),
                                output=output)
        self.check_fragments(fragments, checked)
        self.check_messages(checked)
        self.check_front(checked)
        checked.diagnostics = self.sink.items
        return checked

    def bind_imports(self) -> None:
        edges = self.graph.edges.get(self.name, [])
        resolved = {decl.span for _, decl in edges}
        for decl in [*self.module.of(ast.Import), *self.module.of(ast.FromImport)]:
            if decl.span not in resolved:  # an unknown module, already reported where it is imported
                for b in [decl.binding] if isinstance(decl, ast.Import) else [i.binding for i in decl.items]:
                    self._bind_unknown(b)
        for target, decl in edges:
            if isinstance(decl, ast.Import):
                b = decl.binding
                self._bind(self.names, self.name_spans, b.text, ModuleAlias(target), b.span, "name")
                continue
            ex = self.exports.get(target)
            for item in decl.items:
                b = item.binding
                if ex is None:  # the target is in an import cycle: already reported
                    self._bind_unknown(b)
                    continue
                n = item.name.text
                if n in ex.fragments:
                    self._bind(self.names, self.name_spans, b.text, ex.fragments[n], b.span, "name")
                elif n in ex.types:
                    if b.text in self.imported_types:
                        self.sink.error("duplicate-definition", f"type `{b.text}` is imported twice", b.span)
                    self.imported_types[b.text] = ex.types[n]
                elif n in ex.tools:
                    self._bind(self.tools, self.tool_spans, b.text, ex.tools[n], b.span, "tool")
                elif not ex.complete:
                    self._bind_unknown(b)
                else:
                    self._bind_unknown(b)
                    self.sink.error("unknown-import-name", f"module `{target}` has no fragment, type or tool `{n}`",
                                    item.name.span, notes=suggestion_note(n, ex.names()) or (
                                        ("it defines: " + ", ".join(ex.names())) if ex.names()
                                        else f"`{target}` defines nothing to import",))

    def _bind_unknown(self, b: ast.Ident) -> None:
        """Bind a name whose import failed, so its uses are not reported a second time (nor
        offered as the did-you-mean of another name: it is the misspelling)."""
        self._bind(self.names, self.name_spans, b.text, Var("failed-import", T.Unknown()), b.span, "name")

    def declare_types(self) -> dict[str, ast.TypeDecl]:
        local: dict[str, ast.TypeDecl] = {}
        spans: dict[str, Span] = {}
        for decl in self.module.of(ast.TypeDecl):
            if decl.name.text in self.imported_types or decl.name.text in T.SCALAR_NAMES:
                self.sink.error("duplicate-definition", f"type `{decl.name.text}` is already "
                                f"{'a built-in type' if decl.name.text in T.SCALAR_NAMES else 'imported'}",
                                decl.name.span, notes=("choose another name",))
                continue
            self._bind(local, spans, decl.name.text, decl, decl.name.span, "type")
        return local

    def _params(self, resolver: TypeResolver, params: tuple[ast.Param, ...], owner: str) -> tuple[ParamSym, ...]:
        out: list[ParamSym] = []
        seen: dict[str, Span] = {}
        for p in params:
            ty = resolver.resolve(p.type)
            if p.name.text in seen:
                self.sink.error("duplicate-definition", f"parameter `{p.name.text}` of `{owner}` is declared twice",
                                p.name.span, labels=[Label(seen[p.name.text], "first declared here")])
                continue
            seen[p.name.text] = p.name.span
            has_default = p.default is not None
            if has_default:
                check_default(self.sink, p.name.text, ty, p.default)
            out.append(ParamSym(p.name.text, ty, p.default.value if has_default else None, has_default, p.name.span))
        return tuple(out)

    def declare_tools(self, resolver: TypeResolver) -> None:
        for decl in self.module.of(ast.ToolDecl):
            params = self._params(resolver, decl.params, decl.name.text)
            sym = ToolSym(decl.name.text, self.name, params, decl.description.value if decl.description else "",
                          decl.requires_approval, decl.name.span)
            if decl.name.text not in self.tools:
                self.out.tools[decl.name.text] = sym
            self._bind(self.tools, self.tool_spans, decl.name.text, sym, decl.name.span, "tool")

    def declare_inputs(self, resolver: TypeResolver) -> list[InputSym]:
        inputs = []
        for decl in self.module.of(ast.InputDecl):
            ty = resolver.resolve(decl.type)
            has_default = decl.default is not None
            ok = check_default(self.sink, decl.name.text, ty, decl.default) if has_default else True
            sym = InputSym(decl.name.text, ty, decl.default.value if has_default and ok else None,
                           has_default and ok, decl.name.span)
            if decl.name.text in ("loop", "tools"):
                self.sink.error("duplicate-definition", f"`{decl.name.text}` is reserved in templates",
                                decl.name.span, notes=("choose another name",))
                continue
            before = len(self.sink.items)
            self._bind(self.names, self.name_spans, decl.name.text, Var("input", ty), decl.name.span, "name")
            if len(self.sink.items) == before:
                inputs.append(sym)
        return inputs

    def declare_fragments(self, resolver: TypeResolver) -> list[tuple[FragmentSym, ast.FragmentDecl]]:
        out = []
        for decl in self.module.of(ast.FragmentDecl):
            params = self._params(resolver, decl.params, decl.name.text) if decl.params is not None else None
            sym = FragmentSym(decl.name.text, self.name, params, decl.name.span)
            before = len(self.sink.items)
            self._bind(self.names, self.name_spans, decl.name.text, sym, decl.name.span, "name")
            if len(self.sink.items) == before:
                self.out.fragments[decl.name.text] = sym
                out.append((sym, decl))
        return out

    def declare_output(self, resolver: TypeResolver) -> dict:
        decls = self.module.of(ast.OutputDecl)
        for extra in decls[1:]:
            self.sink.error("duplicate-definition", "a module declares one output", extra.span,
                            labels=[Label(decls[0].span, "first declared here")],
                            notes=("keep one `output` declaration",))
        if not decls:
            return {"type": "text"}
        decl = decls[0]
        if decl.kind == "text":
            return {"type": "text"}
        if decl.kind == "json":
            return {"type": "json", "schema": T.to_schema(resolver.resolve(decl.schema))}
        path = decl.path.value
        schema, error = self.read_schema(path)
        if error is not None:
            self.sink.error("schema-file-missing", error, decl.path.span,
                            notes=("the path is relative to the project root (where promptc.toml is); "
                                   "or declare the shape inline: `output json {field: str}`",))
            return {"type": "json", "schema": {}}
        if not isinstance(schema, dict) and not isinstance(schema, bool):
            self.sink.error("invalid-schema", f"`{path}` is not a JSON Schema: it holds a {type(schema).__name__}",
                            decl.path.span, notes=('a schema is an object such as {"type": "object", …}',))
            return {"type": "json", "schema": {}}
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            self.sink.error("invalid-schema", f"`{path}` is not valid JSON Schema at {where}: {exc.message}",
                            decl.path.span, notes=("fix the schema; it is checked against the draft 2020-12 "
                                                   "meta-schema",))
            return {"type": "json", "schema": {}}
        return {"type": "json", "schema": schema}

    def _module_exports(self, module: str) -> Exports | None:
        return self.exports.get(module)

    def _template(self, block, names: dict, where: str, checked: CheckedModule) -> tuple[list[dict], ParsedTemplate]:
        parsed, diags = parse_template(self.source, block)
        self.sink.extend(diags)
        tc = TemplateChecker(parsed, names, self.tools, self._module_exports, self.sink, where)
        body = tc.check()
        checked.tool_refs.extend(tc.tool_refs)
        return body, parsed

    def check_fragments(self, fragments, checked: CheckedModule) -> None:
        shared = {k: v for k, v in self.names.items() if not isinstance(v, Var)}
        for sym, decl in fragments:
            names = dict(shared)
            for p in sym.params or ():
                names[p.name] = Var("param", p.type)
            sym.body, sym.template = self._template(decl.body, names, "fragment", checked)

    def check_messages(self, checked: CheckedModule) -> None:
        for decl in self.module.of(ast.MessageDecl):
            body, parsed = self._template(decl.body, self.names, "message", checked)
            checked.messages.append(CheckedMessage(decl.role.text, body, parsed, decl.span))

    def check_front(self, checked: CheckedModule) -> None:
        if checked.is_prompt and (self.module.front is None or self.module.front.version is None):
            if not any(d.code.name in ("invalid-semver", "invalid-front-matter", "unknown-front-matter-key",
                                       "limit-exceeded")
                       for d in self.graph.diagnostics if d.span and d.span.file == self.source.path):
                first = self.module.of(ast.MessageDecl)[0]
                self.sink.error("missing-version", f"`{self.name}` defines messages but has no version",
                                Span.point(self.source.path, 1, 1, 3) if self.module.front is not None
                                else first.role.span,
                                notes=("add front matter at the top:\n---\nversion: 1.0.0\n---",))


def graph_header_diags(graph: ModuleGraph, name: str) -> tuple[Diagnostic, ...]:
    header = graph.headers.get(name)
    return header.diagnostics if header else ()
