"""The prompts to review: each prompt's messages as the model reads them (fragments
inlined, `{% if %}` branches marked) and the map from that text back to the files.

A message's review text is the linter's document of it (`lint.document`), with a marker
such as `{% if #1 branch 2 %}` wherever the conditional branch changes. Segments record
which stretch of the review text is which stretch of the document, so a quote found in the
text maps to the file, line and column it was written at, through fragments and imports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..diagnostics import Diagnostic
from ..lint.document import Document, build_document
from ..semantic.checker import CheckedModule
from ..source import SourceFile, Span
from .rubric import request_text


@dataclass(frozen=True)
class Segment:
    """Review text [start, end) is document text [doc_start, doc_start + end - start)."""

    start: int
    end: int
    doc_start: int


@dataclass
class ReviewMessage:
    role: str
    text: str
    doc: Document
    segments: list[Segment] = field(default_factory=list)

    def covered(self, start: int, end: int) -> bool:
        """True when every character of [start, end) is prompt text (no marker)."""
        pos = start
        for seg in self.segments:
            if seg.end <= pos:
                continue
            if seg.start > pos:
                return False
            pos = seg.end
            if pos >= end:
                return True
        return pos >= end

    def doc_offset(self, offset: int) -> int:
        for seg in self.segments:
            if seg.start <= offset < seg.end:
                return seg.doc_start + offset - seg.start
        raise ValueError(f"offset {offset} is in a marker")

    def span(self, start: int, end: int, sources: Mapping[str, SourceFile]) -> Span | None:
        """The file span of review text [start, end) (which `covered` accepts): from where
        its first character was written to where its last one was, when both are in one
        file; else the first character's piece. A `{{name}}` placeholder at either end
        stands for the whole `{{ … }}` tag of the source."""
        first_at, last_at = self.doc_offset(start), self.doc_offset(end - 1)
        first = self._widen(self.doc.span(first_at, last_at + 1), first_at, sources, backward=True)
        last = self._widen(self.doc.span(last_at, last_at + 1), last_at, sources, backward=False)
        if first is None or last is None or first.file != last.file:
            return first
        if (last.end_line, last.end_column) < (first.line, first.column):
            return first
        return Span(first.file, first.line, first.column, last.end_line, last.end_column)

    def _widen(self, span: Span | None, at: int, sources: Mapping[str, SourceFile], backward: bool) -> Span | None:
        piece = self.doc.piece_at(at)
        src = sources.get(span.file) if span is not None else None
        if piece is None or piece.kind != "expr" or src is None:
            return span
        offset = src.offset(span.line, span.column)
        if backward:
            opening = src.text.rfind("{{", 0, offset + 1)
            if opening == -1 or "}}" in src.text[opening:offset]:
                return span
            line, column = src.position(opening)
            return Span(span.file, line, column, span.end_line, span.end_column)
        closing = src.text.find("}}", offset)
        if closing == -1 or "{{" in src.text[offset:closing]:
            return span
        line, column = src.position(closing + 2)
        return Span(span.file, span.line, span.column, line, column)


def review_message(doc: Document) -> ReviewMessage:
    """The review text of a document: its text with conditional branches marked."""
    parts: list[str] = []
    segments: list[Segment] = []
    length = 0
    numbers: dict[int, int] = {}
    current: tuple = ()

    def emit(text: str, doc_start: int | None) -> None:
        nonlocal length
        if doc_start is not None:
            segments.append(Segment(length, length + len(text), doc_start))
        parts.append(text)
        length += len(text)

    def number(node: int) -> int:
        return numbers.setdefault(node, len(numbers) + 1)

    def move(to: tuple) -> None:
        nonlocal current
        common = 0
        while common < min(len(current), len(to)) and current[common] == to[common]:
            common += 1
        for node, _ in reversed(current[common:]):
            emit(f"{{% endif #{number(node)} %}}", None)
        for node, index in to[common:]:
            emit(f"{{% if #{number(node)} branch {'else' if index < 0 else index + 1} %}}", None)
        current = to

    for piece in doc.pieces:
        move(piece.scope)
        emit(doc.text[piece.start:piece.end], piece.start)
    move(())
    return ReviewMessage(doc.role, "".join(parts), doc, segments)


@dataclass
class Unit:
    """One prompt to review."""

    name: str
    path: str  # its file, as diagnostics show it
    module: CheckedModule
    messages: list[ReviewMessage]
    interface: dict
    text: str = ""  # what is sent: interface and messages

    def __post_init__(self) -> None:
        if not self.text:
            self.text = request_text(self.name, self.path, self.interface, [(m.role, m.text) for m in self.messages])

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def unit_of(module: CheckedModule, interface: dict, name: str | None = None) -> Unit:
    messages = [review_message(build_document(m)) for m in module.messages]
    path = module.source.path if module.source else module.name
    return Unit(name or module.name, path, module, messages, interface)


@dataclass
class Collected:
    units: list[Unit] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    static: list[Diagnostic] = field(default_factory=list)  # the linter's findings, for de-duplication
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (prompt or file, why)


def collect(project, paths: list[Path]) -> Collected:
    """The prompts of PATHS (as `promptc check` takes them: a project directory, module
    files and folders, plain .txt/.md files), with the static findings on them."""
    from .. import driver
    from ..plain import is_plain, lint_plain, plain_module, read_plain

    out = Collected()
    plain = [p for p in paths if is_plain(p)]
    modules = [p for p in paths if not is_plain(p)]
    if modules or not plain:
        targets = None
        if modules and not (len(modules) == 1 and Path(modules[0]).resolve() == project.root):
            targets = list(modules)
        compiled = driver.compile_project(project, targets, use_cache=False, parallel=False)
        out.sources.update(compiled.sources)
        out.static.extend(compiled.diagnostics)
        broken = {d.span.file for d in compiled.diagnostics if d.is_error and d.span}
        for name in sorted(compiled.bundles):
            module = compiled.program.modules.get(name) if compiled.program else None
            if module is None or module.source is None:
                continue
            closure = compiled.graph.closure(name)
            files = {compiled.graph.sources[n].path for n in closure if n in compiled.graph.sources}
            if files & broken:
                out.skipped.append((name, "it does not compile; `promptc check` shows why"))
                continue
            spec = compiled.bundles[name]["spec"]
            interface = {"inputs": spec.get("inputs") or {}, "tools": spec.get("tools") or None,
                         "output": spec.get("output") or {"type": "text"}}
            out.units.append(unit_of(module, interface))
    if plain:
        linted = lint_plain(project, plain, report_config=False)
        out.static.extend(linted.diagnostics)
        for path in plain:
            src, problems = read_plain(project, Path(path))
            if src is None:
                out.skipped.append((project.display(Path(path)), problems[0].message if problems else "unreadable"))
                continue
            out.sources[src.path] = src
            out.units.append(unit_of(plain_module(src), {"inputs": None, "tools": None, "output": None}, src.path))
    return out
