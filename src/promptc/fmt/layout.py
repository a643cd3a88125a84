"""The module body: declarations in canonical order, with their comments and blank lines.

Comments between declarations belong to the declaration below them (with one blank line
kept between a comment and its declaration if there was one); a comment after a
declaration on its last line stays at the end of that line. A comment block at the top of
the body followed by a blank line is the module's header and stays first; comments after
the last declaration stay last.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..source import SourceFile
from ..syntax import ast
from .render import Renderer, Unplaced, tokenize

GROUP = {ast.Import: 0, ast.FromImport: 0, ast.TypeDecl: 1, ast.InputDecl: 2, ast.ToolDecl: 3,
         ast.OutputDecl: 4, ast.FragmentDecl: 5, ast.MessageDecl: 6}
TEXT_GROUPS = (5, 6)  # fragments and messages: a blank line around each one of several lines


@dataclass
class Entry:
    decl: ast.Decl
    text: str
    leading: list[str]  # comment lines; "" is one blank line
    trailing: str | None
    blank_before: bool  # a blank line separated it from what came before

    @property
    def multiline(self) -> bool:
        return "\n" in self.text


def sort_key(d: ast.Decl) -> tuple:
    """Imports sort by module (`import` before `from`); everything else keeps its order."""
    if isinstance(d, ast.Import):
        return (0, 0, d.module, d.alias.text if d.alias else "")
    if isinstance(d, ast.FromImport):
        return (0, 1, d.level, d.module)
    return (GROUP[type(d)],)


def format_body(src: SourceFile, module: ast.Module, body_start: int) -> list[str]:
    text = src.text
    renderer = Renderer(src, tokenize(text, body_start))
    spans = [renderer.off(d.span) for d in module.decls]
    outer = [c for c in renderer.comments if not any(a <= c.start < b for a, b in spans)]
    entries: list[Entry] = []
    header: list[str] = []
    prev_end = body_start
    for i, (d, (start, end)) in enumerate(zip(module.decls, spans)):
        gap = _gap_lines(text, prev_end, start, full_first=i == 0)
        blank_before = bool(gap) and gap[0] == ""
        if i == 0:
            header, gap = _split_header(gap)
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        trailing = next((c for c in outer if end <= c.start < nxt and renderer.line(c.start) == renderer.line(end - 1)),
                        None)
        prev_end = trailing.end if trailing else end
        try:
            rendered = renderer.decl(d)
        except Unplaced:
            rendered = _verbatim(text, start, end, renderer)
        entries.append(Entry(d, rendered, _collapse(gap), trailing.text.rstrip() if trailing else None, blank_before))
    footer = _gap_lines(text, prev_end, len(text) + 1, full_first=not entries)
    footer_blank = bool(footer) and footer[0] == ""
    footer = _trim(_collapse(footer))
    if not entries:
        header, footer = footer, []

    out: list[str] = list(header)
    entries.sort(key=lambda e: sort_key(e.decl))
    group = None
    for k, e in enumerate(entries):
        g = GROUP[type(e.decl)]
        if g != group:
            if out:
                out.append("")
        elif (g != 0 and e.blank_before) or "" in e.leading \
                or (g in TEXT_GROUPS and (e.multiline or entries[k - 1].multiline)):
            out.append("")
        group = g
        out += e.leading
        lines = e.text.split("\n")
        if e.trailing:
            lines[-1] += "  " + e.trailing
        out += lines
    if footer and footer_blank and out:
        out.append("")
    return out + footer


def _gap_lines(text: str, start: int, end: int, *, full_first: bool) -> list[str]:
    """The comment and blank lines between two declarations ("" for a blank line).

    Without `full_first`, the region starts inside the previous declaration's last line;
    the region ends inside the next declaration's first line (or at the end of the file).
    """
    segments = text[start:end].split("\n")
    if not full_first:
        segments = segments[1:]
    if end <= len(text):
        segments = segments[:-1]
    return [s.strip() for s in segments]


def _split_header(gap: list[str]) -> tuple[list[str], list[str]]:
    """Comments at the top that a blank line separates from the first declaration."""
    first_comment = next((i for i, s in enumerate(gap) if s), None)
    last_blank = max((i for i, s in enumerate(gap) if not s), default=None)
    if first_comment is None or last_blank is None or last_blank < first_comment:
        return [], gap
    return _trim(_collapse(gap[:last_blank])), gap[last_blank + 1:]


def _collapse(lines: list[str]) -> list[str]:
    """Runs of blank lines become one; none at the start; one at the end only after a comment."""
    out: list[str] = []
    for s in lines:
        if s or (out and out[-1]):
            out.append(s)
    return out


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def _verbatim(text: str, start: int, end: int, renderer: Renderer) -> str:
    """A declaration kept as written, minus the trailing space of lines outside text blocks."""
    blocks = [(t.start, t.end) for t in renderer.tokens_in(start, end) if t.kind == "text"]
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        line_end = pos + len(line)
        if not any(a <= line_end < b for a, b in blocks):
            line = line.rstrip()
        out.append(line)
        pos = line_end + 1
    return "\n".join(out)
