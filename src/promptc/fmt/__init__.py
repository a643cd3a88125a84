"""`promptc fmt`: one canonical layout for `.prompt` modules.

The formatter works from the parsed module (its AST and spans) and the source text:

- front matter keys in the order version, purpose, owner, tech_owner, risk, model,
  retrieval, eval, evaluated, capture, limitations, tags, lint, unknown keys after them in their order; each key moves with its
  lines and the comments above it, and the YAML itself is not rewritten (front.py);
- declarations grouped and ordered: imports (`import` then `from`, each sorted by module,
  names sorted inside a `from`), types, inputs, tools, output, fragments, messages; inside
  the other groups the written order is kept, since the order of messages is meaning;
- one blank line between groups; inside a group, a blank line around any declaration
  of several lines and where the source had one (imports are never separated);
- canonical spacing inside declarations (render.py);
- comments move with the declaration below them; end-of-line comments stay on their
  line, two spaces after the code (layout.py);
- text blocks are untouched except their indentation: they are re-indented to no margin
  so that their cleaned text is byte-identical;
- no trailing whitespace outside text blocks, and one newline at the end of the file.

A file that does not parse is never formatted. Every result is checked before it is
returned: it must parse to the same declarations, front matter and comments.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..diagnostics import Diagnostic, diag
from ..source import DecodeError, SourceFile, Span, decode_source
from ..syntax import ast
from ..syntax.frontmatter import _LOADER, split_front_matter
from ..syntax.parser import parse_module
from .front import format_front
from .layout import format_body, sort_key
from .render import tokenize

__all__ = ["FormatResult", "FormatterBug", "collect_files", "format_file", "format_source", "format_text",
           "unified_diff"]

# Diagnostics that mean the file does not parse: the formatter refuses it.
REFUSED = frozenset({"not-utf8", "syntax-error", "unclosed-text-block", "invalid-front-matter"})


class FormatterBug(Exception):
    """The formatted text would not mean what the source meant: nothing is written."""


@dataclass(frozen=True)
class FormatResult:
    source: SourceFile
    before: str  # the file's text as read (line endings and all)
    text: str | None  # None: not formatted, see diagnostics
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.before


def format_text(text: str, path: str = "<input>") -> str:
    """Format module text; raise ValueError with the diagnostics' messages if it does not parse."""
    result = format_source(SourceFile(path, text))
    if result.text is None:
        raise ValueError("; ".join(d.message for d in result.diagnostics))
    return result.text


def format_source(src: SourceFile, before: str | None = None) -> FormatResult:
    before = src.text if before is None else before
    module, diags = parse_module(src)
    refused = tuple(d for d in diags if d.code.name in REFUSED)
    if refused:
        return FormatResult(src, before, None, refused)
    lines: list[str] = []
    body_start = 0
    located = split_front_matter(src.text)
    if located is not None:
        start, end, body_start = located
        lines = ["---", *format_front(src.text[start:end]), "---"]
    lines += format_body(src, module, body_start)
    text = "\n".join(lines) + "\n" if lines else ""
    _verify(src, module, text)
    return FormatResult(src, before, text)


def format_file(path: Path, display: str | None = None) -> FormatResult:
    display = display or path.as_posix()
    data = path.read_bytes()
    before = data.decode("utf-8", errors="replace")
    try:
        text = decode_source(data)
    except DecodeError as exc:
        d = diag("not-utf8", f"`{display}` is not UTF-8 text: {exc.reason}", Span.point(display, exc.line, exc.column),
                 notes=("save the file as UTF-8",))
        return FormatResult(SourceFile(display, ""), before, None, (d,))
    return format_source(SourceFile(display, text), before)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The `.prompt` files of `paths`: files as given, folders searched (hidden ones skipped)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.prompt")
                          if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            out.append(path)
    unique: dict[Path, Path] = {}
    for p in out:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def unified_diff(result: FormatResult) -> str:
    name = result.source.path
    return "".join(difflib.unified_diff(result.before.splitlines(keepends=True),
                                        (result.text or "").splitlines(keepends=True),
                                        fromfile=f"{name} (original)", tofile=f"{name} (formatted)"))


# --- the check that formatting kept the meaning -------------------------------------

_POSITIONAL = {"span", "module_span", "origins", "line_starts"}


def _shape(x: Any) -> Any:
    """A node without positions, for comparing what two texts declare."""
    if isinstance(x, ast.TextBlock):
        return ("text", x.text)
    if isinstance(x, ast.Ident):
        return x.text
    if isinstance(x, ast.Value):
        return ("value", repr(x.value))
    if isinstance(x, ast.FromImport):
        return ("from", x.level, x.module, tuple(sorted(_shape(i) for i in x.items)))
    if is_dataclass(x):
        return (type(x).__name__, *(_shape(getattr(x, f.name)) for f in fields(x) if f.name not in _POSITIONAL))
    if isinstance(x, (tuple, list)):
        return tuple(_shape(v) for v in x)
    return x


def _front_data(text: str) -> Any:
    located = split_front_matter(text)
    if located is None:
        return None
    return yaml.load(text[located[0]:located[1]] or "{}", Loader=_LOADER)


def _comments(src: SourceFile, module_start: int) -> Counter:
    return Counter(t.text.strip() for t in tokenize(src.text, module_start) if t.kind == "comment")


def _verify(src: SourceFile, module: ast.Module, text: str) -> None:
    new_src = SourceFile(src.path, text)
    new_module, diags = parse_module(new_src)
    problems = [d.message for d in diags if d.code.name in REFUSED]
    if not problems:
        if _front_data(text) != _front_data(src.text):
            problems.append("the front matter changed")
        old = [_shape(d) for d in sorted(module.decls, key=sort_key)]
        if old != [_shape(d) for d in new_module.decls]:
            problems.append("the declarations changed")
        body = lambda s: (split_front_matter(s.text) or (0, 0, 0))[2]  # noqa: E731
        if _comments(src, body(src)) != _comments(new_src, body(new_src)):
            problems.append("the comments changed")
    if problems:
        raise FormatterBug(f"formatting {src.path} would change it: {'; '.join(problems)}")
