"""Document symbols: the outline of a module, straight from its AST."""

from __future__ import annotations

from typing import Callable

from lsprotocol import types as lsp

from ..source import Span
from ..syntax import ast

ToRange = Callable[[Span], lsp.Range]
K = lsp.SymbolKind


def document_symbols(module: ast.Module, to_range: ToRange, source_text: Callable[[Span], str]) -> list[lsp.DocumentSymbol]:
    out: list[lsp.DocumentSymbol] = []
    for decl in module.decls:
        sym = _decl_symbol(decl, to_range, source_text)
        if sym is not None:
            out.append(sym)
    return out


def _symbol(name: str, kind: lsp.SymbolKind, span: Span, selection: Span, to_range: ToRange,
            detail: str | None = None, children: list[lsp.DocumentSymbol] | None = None) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(name=name or "?", kind=kind, range=to_range(span), selection_range=to_range(selection),
                              detail=detail, children=children or None)


def _decl_symbol(decl, to_range: ToRange, text: Callable[[Span], str]) -> lsp.DocumentSymbol | None:
    if isinstance(decl, ast.Import):
        name = ".".join(decl.module)
        detail = f"as {decl.alias.text}" if decl.alias else "import"
        return _symbol(name, K.Module, decl.span, decl.module_span, to_range, detail)
    if isinstance(decl, ast.FromImport):
        name = "." * decl.level + ".".join(decl.module)
        children = [_symbol(i.binding.text, K.Variable, i.name.span if i.alias is None else
                            _union(i.name.span, i.alias.span), i.binding.span, to_range,
                            f"{i.name.text}" if i.alias else None) for i in decl.items]
        return _symbol(name, K.Module, decl.span, decl.module_span, to_range, "from … import", children)
    if isinstance(decl, ast.TypeDecl):
        children = []
        kind = K.TypeParameter
        ty = decl.type
        if isinstance(ty, ast.ObjectType):
            kind = K.Struct
            children = [_symbol(f.name.text, K.Field, _union(f.name.span, _type_span(f.type)), f.name.span,
                                to_range, text(_type_span(f.type))) for f in ty.fields]
        elif isinstance(ty, ast.LiteralUnion):
            kind = K.Enum
            children = [_symbol(str(v.value), K.EnumMember, v.span, v.span, to_range) for v in ty.values]
        return _symbol(decl.name.text, kind, decl.span, decl.name.span, to_range, text(_type_span(ty)), children)
    if isinstance(decl, ast.InputDecl):
        return _symbol(decl.name.text, K.Variable, decl.span, decl.name.span, to_range, text(_type_span(decl.type)))
    if isinstance(decl, ast.ToolDecl):
        children = [_symbol(p.name.text, K.TypeParameter, _union(p.name.span, _type_span(p.type)), p.name.span,
                            to_range, text(_type_span(p.type))) for p in decl.params]
        detail = (decl.description.value if decl.description else "") + (" (requires approval)"
                                                                        if decl.requires_approval else "")
        return _symbol(decl.name.text, K.Function, decl.span, decl.name.span, to_range, detail.strip() or None,
                       children)
    if isinstance(decl, ast.OutputDecl):
        detail = {"json": "json", "file": f"json {decl.path.value if decl.path else ''}", "text": "text"}[decl.kind]
        children = []
        if decl.schema is not None:
            children = [_symbol(f.name.text, K.Field, _union(f.name.span, _type_span(f.type)), f.name.span,
                                to_range, text(_type_span(f.type))) for f in decl.schema.fields]
        first = Span(decl.span.file, decl.span.line, decl.span.column, decl.span.line, decl.span.column + 6)
        return _symbol("output", K.Interface, decl.span, first, to_range, detail, children)
    if isinstance(decl, ast.FragmentDecl):
        params = None
        children = []
        if decl.params is not None:
            params = "(" + ", ".join(f"{p.name.text}: {text(_type_span(p.type))}" for p in decl.params) + ")"
            children = [_symbol(p.name.text, K.TypeParameter, _union(p.name.span, _type_span(p.type)), p.name.span,
                                to_range, text(_type_span(p.type))) for p in decl.params]
        return _symbol(decl.name.text, K.Function, decl.span, decl.name.span, to_range, params, children)
    if isinstance(decl, ast.MessageDecl):
        first = decl.body.text.strip().split("\n", 1)[0]
        return _symbol(decl.role.text, K.Event, decl.span, decl.role.span, to_range,
                       first[:60] + ("…" if len(first) > 60 else ""))
    return None


def _type_span(ty: ast.TypeExpr) -> Span:
    return ty.span


def _union(a: Span, b: Span) -> Span:
    start = min((a.line, a.column), (b.line, b.column))
    end = max((a.end_line, a.end_column), (b.end_line, b.end_column))
    return Span(a.file, start[0], start[1], end[0], end[1])
