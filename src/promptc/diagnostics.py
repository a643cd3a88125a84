"""Diagnostics: one type for every stage, with a registered code and a source span.

Every code is registered once in `CODES` with its id (`PC104`), its kebab-case name
(`undeclared-variable`) and a one-line description. Stages never raise on user errors:
they return what they could build plus a list of `Diagnostic`s.
"""

from __future__ import annotations

import difflib
import enum
import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .source import SourceFile, Span


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    description: str
    severity: Severity = Severity.ERROR


_CODE_LIST: tuple[Code, ...] = (
    # Source and syntax
    Code("PC001", "not-utf8", "The file is not UTF-8 text."),
    Code("PC002", "syntax-error", "The module does not follow the grammar."),
    Code("PC003", "unclosed-text-block", "A text block was opened with \"\"\" and never closed."),
    Code("PC004", "unclosed-template-block", "An {% if %} or {% for %} block is never closed."),
    Code("PC005", "template-syntax", "Template text inside a block is not valid template syntax."),
    Code("PC006", "limit-exceeded", "The source crosses a limit of promptc: size, nesting or number range."),
    Code("PC010", "invalid-front-matter", "The front matter is not valid YAML mapping."),
    Code("PC011", "unknown-front-matter-key", "The front matter has a key promptc does not know."),
    Code("PC012", "invalid-front-matter-value", "A front-matter value has the wrong type or form."),
    Code("PC013", "invalid-semver", "The version is not a semantic version (MAJOR.MINOR.PATCH)."),
    Code("PC014", "missing-version", "A module that defines messages needs a version."),
    Code("PC020", "invalid-config", "promptc.toml is not valid."),
    # Names and modules
    Code("PC101", "unknown-module", "An import names a module that does not exist."),
    Code("PC102", "unknown-import-name", "A from-import names something the module does not define."),
    Code("PC103", "import-cycle", "Modules import each other in a cycle."),
    Code("PC104", "undeclared-variable", "A template uses a name that is not declared."),
    Code("PC105", "import-outside-root", "A relative import would leave the source roots."),
    Code("PC106", "duplicate-definition", "A name is defined twice in one module."),
    Code("PC107", "unknown-tool", "A template names a tool that is not declared or imported."),
    Code("PC108", "unknown-type", "A type name is not declared or imported."),
    Code("PC109", "unknown-module-member", "A module has no fragment of that name."),
    Code("PC110", "missing-argument", "A fragment is used without a required argument."),
    Code("PC111", "unknown-argument", "A fragment is given an argument it does not declare."),
    Code("PC112", "no-messages", "A module with a version declares no messages.", Severity.WARNING),
    Code("PC113", "recursive-type", "A type refers to itself."),
    Code("PC114", "fragment-recursion", "Fragments include each other in a cycle."),
    # Types
    Code("PC201", "type-mismatch", "An expression does not have the type its use needs."),
    Code("PC202", "not-a-member", "A literal is not a member of the literal union it is compared with."),
    Code("PC203", "unknown-field", "An object type has no field of that name."),
    Code("PC204", "not-iterable", "A loop iterates over something that is not a list."),
    Code("PC205", "invalid-default", "A default value does not match its declared type."),
    Code("PC206", "invalid-constraint", "A type constraint is unknown or does not fit the type."),
    Code("PC207", "filter-argument", "A filter is applied to the wrong type or given wrong arguments."),
    Code("PC208", "not-renderable", "A list, map or object is rendered without join or tojson."),
    # Templates
    Code("PC301", "non-portable-template", "Template syntax outside the portable subset."),
    Code("PC302", "unknown-filter", "A filter outside the portable set."),
    # Output, emission and versions
    Code("PC401", "schema-file-missing", "The output schema file does not exist or is not JSON."),
    Code("PC402", "invalid-schema", "The output schema is not valid JSON Schema."),
    Code("PC403", "version-not-bumped", "The prompt changed but its version did not."),
    Code("PC404", "insufficient-bump", "The version bump is smaller than the change needs."),
    Code("PC405", "lock-out-of-date", "promptc.lock would change (build --locked)."),
    Code("PC406", "bundle-conflict", "A bundle file already exists with different content."),
    Code("PC407", "version-decreased", "The version is lower than the locked one."),
    Code("PC408", "invalid-lock", "promptc.lock cannot be read."),
    # Other formats
    Code("PC601", "foreign-format", "The file is a Dotprompt or Prompty file, not a promptc module."),
    Code("PC602", "not-importable", "A construct of a Dotprompt or Prompty file has no faithful promptc form."),
)

CODES: Mapping[str, Code] = {c.name: c for c in _CODE_LIST}
CODES_BY_ID: Mapping[str, Code] = {c.id: c for c in _CODE_LIST}


def code(name: str) -> Code:
    return CODES[name]


@dataclass(frozen=True)
class Label:
    span: Span
    message: str


@dataclass(frozen=True)
class Fix:
    """A textual edit that resolves the diagnostic: replace `span` with `replacement`."""

    message: str
    span: Span
    replacement: str


@dataclass(frozen=True)
class Diagnostic:
    code: Code
    message: str
    span: Span | None
    severity: Severity = Severity.ERROR
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    fix: Fix | None = None
    import_chain: tuple[str, ...] = ()
    #: What sort of finding this is within its rule (a conflict's kind: "numeric", "format", …).
    kind: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.column, self.code.id, self.message) if s else ("", 0, 0, self.code.id, self.message)

    def to_json(self) -> dict:
        s = self.span
        out = {
            "file": s.file if s else None,
            "line": s.line if s else None,
            "column": s.column if s else None,
            "end_line": s.end_line if s else None,
            "end_column": s.end_column if s else None,
            "code": self.code.id,
            "rule": self.code.name,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.kind:
            out["kind"] = self.kind
        if self.notes:
            out["notes"] = list(self.notes)
        if self.labels:
            out["labels"] = [
                {"file": l.span.file, "line": l.span.line, "column": l.span.column,
                 "end_line": l.span.end_line, "end_column": l.span.end_column, "message": l.message}
                for l in self.labels
            ]
        if self.fix:
            out["fix"] = {"message": self.fix.message, "replacement": self.fix.replacement,
                          "line": self.fix.span.line, "column": self.fix.span.column,
                          "end_line": self.fix.span.end_line, "end_column": self.fix.span.end_column}
        if self.import_chain:
            out["import_chain"] = list(self.import_chain)
        return out


def diag(name: str, message: str, span: Span | None, *, severity: Severity | None = None,
         labels: Iterable[Label] = (), notes: Iterable[str] = (), fix: Fix | None = None) -> Diagnostic:
    c = CODES[name]
    return Diagnostic(c, message, span, severity or c.severity, tuple(labels), tuple(notes), fix)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion_note(word: str, candidates: Iterable[str]) -> tuple[str, ...]:
    best = did_you_mean(word, candidates)
    return (f"did you mean `{best}`?",) if best else ()


def sorted_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple] = set()
    out = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        key = (d.sort_key(), d.severity)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# --- text rendering --------------------------------------------------------------------

def _underline(line_text: str, start_col: int, end_col: int) -> str:
    start = max(start_col - 1, 0)
    end = max(end_col - 1, start + 1)
    end = min(end, max(len(line_text), start + 1))
    pad = "".join("\t" if ch == "\t" else " " for ch in line_text[:start])
    return pad + "^" * max(end - start, 1)


def render_text(d: Diagnostic, sources: Mapping[str, SourceFile], *, color: bool = False) -> str:
    """Render like rustc and ruff: a header line, the source line and a caret underline."""
    sev = d.severity.value
    head_tag = f"{sev}[{d.code.id} {d.code.name}]"
    if color:
        tint = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}[sev]
        head_tag = f"{tint}{head_tag}\x1b[0m"
    lines: list[str] = []
    if d.span is None:
        lines.append(f"{head_tag}: {d.message}")
    else:
        s = d.span
        lines.append(f"{s.file}:{s.line}:{s.column}: {head_tag}: {d.message}")
        src = sources.get(s.file)
        if src is not None:
            lines.extend(_snippet(src, s))
        for label in d.labels:
            lsrc = sources.get(label.span.file)
            lines.append(f"  --> {label.span.file}:{label.span.line}:{label.span.column}: {label.message}")
            if lsrc is not None:
                lines.extend(_snippet(lsrc, label.span))
    for step in d.import_chain:
        lines.append(f"  = imported from {step}")
    for note in d.notes:
        lines.append(f"  = help: {note}" if not note.startswith("note:") else f"  = {note}")
    if d.fix:
        lines.append(f"  = fix: {d.fix.message}")
    return "\n".join(lines)


def _snippet(src: SourceFile, s: Span) -> list[str]:
    text = src.line_text(s.line)
    gutter = str(s.line)
    end_col = s.end_column if s.end_line == s.line else len(text) + 1
    pad = " " * len(gutter)
    return [f"{pad} |", f"{gutter} | {text}", f"{pad} | {_underline(text, s.column, end_col)}"]


def render_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diags], indent=2, ensure_ascii=False)


@dataclass
class DiagnosticSink:
    """Collects diagnostics for one stage; `extend` and `add` keep the order of discovery."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, d: Diagnostic) -> None:
        self.items.append(d)

    def error(self, name: str, message: str, span: Span | None, **kw) -> None:
        self.items.append(diag(name, message, span, **kw))

    def extend(self, ds: Iterable[Diagnostic]) -> None:
        self.items.extend(ds)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)
