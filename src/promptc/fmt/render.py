"""Render one declaration in canonical form, from its AST node and the source text.

Spacing is fixed (`input name: str(max_len=80) = "x"`, `type T { a: str, b: int }`,
`tool f(q: str, n: int = 5) "desc" requires approval`, `output json {a: str}`). Literals
keep the text they were written with (`1.50` stays `1.50`, escapes stay escapes); only the
space between their tokens changes. An object type or a parameter list whose last item is
followed by a comma, or that holds comments, is laid out one item per line (the "magic
trailing comma"); every other declaration is one line. A declaration with a comment in a
place no item owns is kept as written, since moving the comment could change what it
annotates.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..source import SourceFile, Span
from ..syntax import ast
from ..syntax.textblock import common_margin

INDENT = "    "

_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<text>"""[\s\S]*?""")
  | (?P<string>"(?!"")(?:[^"\\\n]|\\.)*")
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<dots>\.+)
  | (?P<punct>.)
''', re.X)


@dataclass(frozen=True)
class Token:
    kind: str
    start: int
    end: int
    text: str


def tokenize(text: str, start: int) -> list[Token]:
    """The tokens of a module body (which parses), comments included, whitespace not."""
    out = []
    for m in _TOKEN.finditer(text, start):
        if m.lastgroup != "ws":
            out.append(Token(m.lastgroup, m.start(), m.end(), m.group()))
    return out


class Unplaced(Exception):
    """A comment sits where the canonical layout has no place for it."""


class Renderer:
    def __init__(self, src: SourceFile, tokens: list[Token]):
        self.src = src
        self.sig = [t for t in tokens if t.kind != "comment"]
        self.sig_starts = [t.start for t in self.sig]
        self.comments = [t for t in tokens if t.kind == "comment"]
        self.comment_starts = [t.start for t in self.comments]
        self.used: set[int] = set()

    # --- positions ------------------------------------------------------------------
    def off(self, span: Span) -> tuple[int, int]:
        return self.src.offset(span.line, span.column), self.src.offset(span.end_line, span.end_column)

    def line(self, offset: int) -> int:
        return self.src.position(offset)[0]

    def comments_in(self, a: int, b: int) -> list[Token]:
        i = bisect.bisect_left(self.comment_starts, a)
        j = bisect.bisect_left(self.comment_starts, b)
        return self.comments[i:j]

    def tokens_in(self, a: int, b: int) -> list[Token]:
        return self.sig[bisect.bisect_left(self.sig_starts, a):bisect.bisect_left(self.sig_starts, b)]

    def next_token(self, pos: int, text: str) -> Token:
        for t in self.sig[bisect.bisect_left(self.sig_starts, pos):]:
            if t.text == text:
                return t
        raise Unplaced(text)

    def prev_token(self, pos: int) -> Token | None:
        i = bisect.bisect_left(self.sig_starts, pos)
        return self.sig[i - 1] if i else None

    # --- declarations ---------------------------------------------------------------
    def decl(self, d: ast.Decl) -> str:
        """The canonical text of `d`; raises Unplaced if one of its comments has no place."""
        start, end = self.off(d.span)
        self.used = set()
        text = self._decl(d)
        inner = {c.start for c in self.comments_in(start, end)}
        if inner != self.used:
            raise Unplaced(d)
        return text

    def _decl(self, d: ast.Decl) -> str:
        if isinstance(d, ast.Import):
            return "import " + ".".join(d.module) + (f" as {d.alias.text}" if d.alias else "")
        if isinstance(d, ast.FromImport):
            return self._from_import(d)
        if isinstance(d, ast.TypeDecl):
            if isinstance(d.type, ast.ObjectType):
                return f"type {d.name.text} " + self.object(d.type, 0, spaced=True)
            return f"type {d.name.text} = " + self.type(d.type, 0)
        if isinstance(d, ast.InputDecl):
            default = f" = {self.value(d.default)}" if d.default is not None else ""
            return f"input {d.name.text}: {self.type(d.type, 0)}{default}"
        if isinstance(d, ast.ToolDecl):
            text = f"tool {d.name.text}" + self.params(d.params, self.off(d.name.span)[1], 0)
            if d.description is not None:
                text += " " + self.value(d.description)
            return text + (" requires approval" if d.requires_approval else "")
        if isinstance(d, ast.OutputDecl):
            if d.kind == "json":
                return "output json " + self.object(d.schema, 0, spaced=False)
            if d.kind == "file":
                return "output json " + self.value(d.path)
            return "output text"
        if isinstance(d, ast.FragmentDecl):
            params = "" if d.params is None else self.params(d.params, self.off(d.name.span)[1], 0)
            return f"fragment {d.name.text}{params} " + self.block(d.body)
        if isinstance(d, ast.MessageDecl):
            return f"{d.role.text} " + self.block(d.body)
        raise TypeError(type(d).__name__)

    def _from_import(self, d: ast.FromImport) -> str:
        module = "." * d.level + ".".join(d.module)
        items = [(*self._item_bounds(i), self._import_item(i)) for i in d.items]
        _, after_module = self.off(d.module_span)
        open_paren = next((t for t in self.tokens_in(after_module, self.off(d.span)[1]) if t.text == "("), None)
        close = self.next_token(items[-1][1], ")") if open_paren is not None else None
        if close is None or not self._exploded(open_paren.start, close.end, items):
            return f"from {module} import " + ", ".join(sorted(text for _, _, text in items))
        return f"from {module} import " + self.listing("(", ")", open_paren.start, close.end, items, 0,
                                                     ordered=True)

    def _item_bounds(self, item: ast.ImportItem) -> tuple[int, int]:
        return self.off(item.name.span)[0], self.off((item.alias or item.name).span)[1]

    @staticmethod
    def _import_item(item: ast.ImportItem) -> str:
        return item.name.text + (f" as {item.alias.text}" if item.alias else "")

    # --- types ----------------------------------------------------------------------
    def type(self, t: ast.TypeExpr, indent: int) -> str:
        if isinstance(t, ast.NamedType):
            return t.name.text + self.constraints(t.constraints)
        if isinstance(t, ast.ListType):
            return f"list[{self.type(t.item, indent)}]" + self.constraints(t.constraints)
        if isinstance(t, ast.MapType):
            return f"map[{self.type(t.value, indent)}]" + self.constraints(t.constraints)
        if isinstance(t, ast.LiteralUnion):
            return " | ".join(self.value(v) for v in t.values)
        if isinstance(t, ast.ObjectType):
            return self.object(t, indent, spaced=False)
        if isinstance(t, ast.OptionalType):
            return self.type(t.inner, indent) + "?"
        raise TypeError(type(t).__name__)

    def constraints(self, cons: tuple[ast.Constraint, ...]) -> str:
        if not cons:
            return ""
        return "(" + ", ".join(f"{c.name.text}={self.value(c.value)}" for c in cons) + ")"

    def object(self, obj: ast.ObjectType, indent: int, *, spaced: bool) -> str:
        """`{a: T}`; `{ a: T }` for a `type` declaration's body; one field a line if exploded."""
        start, end = self.off(obj.span)
        items = []
        for f in obj.fields:
            a = self.off(f.name.span)[0]
            b = self.off(f.type.span)[1]
            items.append((a, b, f"{f.name.text}: {self.type(f.type, indent + 1)}"))
        if not items:
            return "{}"
        if not self._exploded(start, end, items):
            inner = ", ".join(text for _, _, text in items)
            return "{ " + inner + " }" if spaced else "{" + inner + "}"
        return self.listing("{", "}", start, end, items, indent)

    def params(self, params: tuple[ast.Param, ...], after_name: int, indent: int) -> str:
        opening = self.next_token(after_name, "(")
        items = []
        for p in params:
            a = self.off(p.name.span)[0]
            b = self.off((p.default or p.type).span)[1]
            default = f" = {self.value(p.default)}" if p.default is not None else ""
            items.append((a, b, f"{p.name.text}: {self.type(p.type, indent + 1)}{default}"))
        closing = self.next_token(items[-1][1] if items else opening.end, ")")
        if not items:
            return "()"
        if not self._exploded(opening.start, closing.end, items):
            return "(" + ", ".join(text for _, _, text in items) + ")"
        return self.listing("(", ")", opening.start, closing.end, items, indent)

    def _exploded(self, start: int, end: int, items: list[tuple[int, int, str]]) -> bool:
        last = self.prev_token(end - 1)
        if last is not None and last.text == "," and last.start >= items[-1][1]:
            return True
        if any("\n" in text for _, _, text in items):
            return True
        return any(not any(a <= c.start < b for a, b, _ in items) for c in self.comments_in(start, end))

    def listing(self, opening: str, closing: str, start: int, end: int, items: list[tuple[int, int, str]],
                indent: int, ordered: bool = False) -> str:
        """One item a line, each followed by a comma; comments stay with their item."""
        leading: list[list[str]] = [[] for _ in items]
        trailing: list[list[str]] = [[] for _ in items]
        dangling: list[str] = []
        for c in self.comments_in(start, end):
            if any(a <= c.start < b for a, b, _ in items):
                continue  # inside an item: that item's rendering places it, or cannot
            before = [i for i, (_, b, _) in enumerate(items) if b <= c.start]
            after = [i for i, (a, _, _) in enumerate(items) if a >= c.end]
            if before and self.line(items[before[-1]][1] - 1) == self.line(c.start):
                trailing[before[-1]].append(c.text.rstrip())
            elif after:
                leading[after[0]].append(c.text.rstrip())
            else:
                dangling.append(c.text.rstrip())
            self.used.add(c.start)
        order = list(range(len(items)))
        if ordered:
            order.sort(key=lambda i: items[i][2])
        pad = INDENT * (indent + 1)
        lines = [opening]
        for i in order:
            lines += [pad + c for c in leading[i]]
            lines.append(pad + items[i][2] + "," + "".join("  " + c for c in trailing[i]))
        lines += [pad + c for c in dangling]
        lines.append(INDENT * indent + closing)
        return "\n".join(lines)

    # --- literals and text ----------------------------------------------------------
    def value(self, v: ast.Value) -> str:
        """A literal as written, with canonical space between the tokens of a list or object."""
        start, end = self.off(v.span)
        tokens = self.tokens_in(start, end)
        out = []
        for i, t in enumerate(tokens):
            if t.text == ",":
                if i + 1 < len(tokens) and tokens[i + 1].text in ("]", "}"):
                    continue
                out.append(", ")
            elif t.text == ":":
                out.append(": ")
            else:
                out.append(t.text)
        return "".join(out)

    def block(self, body: ast.TextBlock) -> str:
        start, end = self.off(body.span)
        return reindent_block(self.src.text[start:end])


def reindent_block(token: str) -> str:
    """Re-indent a text block `\"\"\"…\"\"\"` to no margin without changing its cleaned text.

    The margin that cleandoc removes is removed here instead, line by line, exactly as
    cleandoc would cut it; blank lines that cleandoc drops (at the start and the end)
    lose their spaces. Every other character is kept.
    """
    lines = token[3:-3].split("\n")
    if len(lines) == 1:
        return token
    margin = common_margin(lines[1:]) or 0
    out = [lines[0]] + [line[min(margin, len(line) - len(line.lstrip(" \t"))):] for line in lines[1:]]
    content = [i for i, line in enumerate(out) if line.strip()]
    lo, hi = (content[0], content[-1]) if content else (len(out), -1)
    for i, line in enumerate(out):
        if (i < lo or i > hi) and not line.strip(" \t"):
            out[i] = ""
    return '"""' + "\n".join(out) + '"""'
