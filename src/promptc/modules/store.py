"""Parsed modules and their headers, from memory, the build cache, or the parser.

A header is what the module graph needs of a module: its imports, the schema files it
reads, where its version is written, and its syntax diagnostics. Headers are small, so an
unchanged project resolves its graph without unpickling or re-parsing any module; a full
module is parsed (or read from the cache) only when it must be checked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, MutableMapping

from ..cache import Cache, key
from ..diagnostics import Diagnostic
from ..source import SourceFile, Span
from ..syntax import ast, parse_module


@dataclass(frozen=True)
class Header:
    imports: tuple[ast.Import | ast.FromImport, ...]
    schema_files: tuple[str, ...]
    version_span: Span | None
    is_prompt: bool
    diagnostics: tuple[Diagnostic, ...]


def header_of(module: ast.Module, diagnostics: list[Diagnostic]) -> Header:
    return Header(
        imports=tuple(d for d in module.decls if isinstance(d, (ast.Import, ast.FromImport))),
        schema_files=tuple(d.path.value for d in module.of(ast.OutputDecl) if d.kind == "file" and d.path),
        version_span=(module.front_spans or {}).get(("version", "$value")),
        is_prompt=bool(module.of(ast.MessageDecl)),
        diagnostics=tuple(diagnostics),
    )


class ModuleStore:
    """Parses each source at most once per run, and at most once per content ever."""

    def __init__(self, cache: Cache | None = None, overlays: Mapping[str, str] | None = None,
                 memo: MutableMapping | None = None):
        self.cache = cache
        self.overlays = dict(overlays or {})
        # `memo` may outlive the store (the language server keeps one across compilations).
        self._parsed: MutableMapping[tuple[str, str, str], tuple[ast.Module, list[Diagnostic]]] = (
            memo if memo is not None else {})

    def source(self, src: SourceFile) -> SourceFile:
        if src.module in self.overlays:
            return SourceFile(src.path, self.overlays[src.module], src.module)
        return src

    def _key(self, src: SourceFile) -> str:
        return key(src.path, src.module, src.text)

    def parse(self, src: SourceFile) -> tuple[ast.Module, list[Diagnostic]]:
        memo = (src.path, src.module, src.text)
        if memo in self._parsed:
            return self._parsed[memo]
        k = self._key(src)
        result = self.cache.get("parse", k) if self.cache else None
        if result is None:
            result = parse_module(src)
            if self.cache:
                self.cache.put("parse", k, result)
                self.cache.put("header", k, header_of(*result))
        self._parsed[memo] = result
        return result

    def header(self, src: SourceFile) -> Header:
        if self.cache:
            hit = self.cache.get("header", self._key(src))
            if hit is not None:
                return hit
        return header_of(*self.parse(src))
