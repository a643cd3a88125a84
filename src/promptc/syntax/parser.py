"""Parse a module: front matter, then the body with the lark grammar, into the AST.

Syntax errors never stop the run. After an error the parser blanks the declaration that
holds it and parses again, so one pass reports every broken declaration in the file.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Iterable

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import _VArgsWrapper

from ..diagnostics import Diagnostic, diag
from ..limits import MAX_BRACKET_DEPTH, number_problem
from ..resources import grammar_text
from ..source import SourceFile, Span
from . import ast
from .frontmatter import parse_front_matter
from .textblock import clean_text_block

KEYWORDS = ("import", "from", "type", "input", "tool", "output", "fragment", "system", "user", "assistant")
_DECL_LINE = re.compile(r"^(?:%s)\b" % "|".join(KEYWORDS), re.M)
MAX_SYNTAX_ERRORS = 25

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a string in double quotes",
    "TEXT_BLOCK": 'a text block `"""…"""`',
    "SIGNED_NUMBER": "a number",
    "ROLE": "`system`, `user` or `assistant`",
    "DOTS": "`.`",
    "OPTIONAL": "`?`",
    "$END": "the end of the file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=False)


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        pattern = _parser().get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _expected(names: Iterable[str]) -> str:
    words = sorted({_describe_terminal(n) for n in names if not n.startswith("__")} or {"a declaration"})
    if len(words) > 8:
        words = words[:8] + ["…"]
    return ", ".join(words)


def parse_module(src: SourceFile) -> tuple[ast.Module, list[Diagnostic]]:
    """Parse one file. Always returns a module (possibly with fewer declarations)."""
    fm = parse_front_matter(src)
    diags: list[Diagnostic] = list(fm.diagnostics)
    body_start = max(fm.body_start, 0)
    # Keep the front matter's lines as blank lines so positions stay file positions.
    text = re.sub(r"[^\n]", " ", src.text[:body_start]) + src.text[body_start:]
    text = _blank_too_deep(src, text, diags)
    decls: tuple = ()
    for _ in range(MAX_SYNTAX_ERRORS + 1):
        try:
            tree = _parser().parse(text)
        except UnexpectedInput as exc:
            d, (cut_start, cut_end) = _syntax_error(src, text, exc)
            diags.append(d)
            if cut_end <= cut_start:
                break
            text = text[:cut_start] + re.sub(r"[^\n]", " ", text[cut_start:cut_end]) + text[cut_end:]
            continue
        to_ast = _ToAst(src)
        decls = tuple(to_ast.walk(tree).children)
        diags.extend(to_ast.diagnostics)
        break
    module = ast.Module(src.module, src.path, fm.front, fm.spans, decls)
    return module, diags


_SKIPPED = re.compile(r'"""[\s\S]*?(?:"""|$)|"(?:[^"\\\n]|\\.)*"?|#[^\n]*')


def _blank_too_deep(src: SourceFile, text: str, diags: list[Diagnostic]) -> str:
    """Brackets nest at most MAX_BRACKET_DEPTH deep: report the first one past it in each
    declaration and blank that declaration, so the parser never sees it."""
    depth = 0
    pos = 0
    cuts: list[tuple[int, int]] = []
    while pos < len(text):
        ch = text[pos]
        if ch in "\"#":
            m = _SKIPPED.match(text, pos)
            pos = m.end() if m and m.end() > pos else pos + 1
            continue
        if ch in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                diags.append(diag("limit-exceeded", f"brackets nest deeper than {MAX_BRACKET_DEPTH} levels here",
                                  src.span(pos, pos + 1),
                                  notes=(f"promptc reads at most {MAX_BRACKET_DEPTH} nested `(`, `[` and `{{`; "
                                         "name an inner type with `type Name = …` and use that name",)))
                start, end = _decl_bounds(text, pos)
                cuts.append((start, end))
                pos, depth = end, 0
                continue
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        elif ch == "\n" and _DECL_LINE.match(text, pos + 1):
            depth = 0
        pos += 1
    for start, end in reversed(cuts):
        text = text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]
    return text


def _decl_bounds(text: str, pos: int) -> tuple[int, int]:
    """The declaration around `pos`: from its keyword line to the next declaration line."""
    start = 0
    for m in _DECL_LINE.finditer(text, 0, pos + 1):
        start = m.start()
    line_end = text.find("\n", pos)
    nxt = _DECL_LINE.search(text, line_end + 1) if line_end != -1 else None
    end = nxt.start() if nxt else len(text)
    return start, end


_TEXT_BLOCK = re.compile(r'"""[\s\S]*?"""')
_OPENER = re.compile(r"\s*(system|user|assistant|fragment\s+\w+\s*(\(.*\))?)\s*")


def _runaway_block(src: SourceFile, text: str, pos: int) -> tuple[Diagnostic, tuple[int, int]] | None:
    """A text block left open swallows text up to the next block's opening quotes.

    The lexer then sees that block's content as module code. Spot it: the last block
    before the error ends with quotes that stand after `user` (or another opener).
    """
    last = None
    for m in _TEXT_BLOCK.finditer(text, 0, pos):
        last = m
    if last is None:
        return None
    close = last.end() - 3
    line_start = text.rfind("\n", 0, close) + 1
    opener = _OPENER.fullmatch(text[line_start:close])
    if opener is None or line_start <= last.start():
        return None
    start, _ = _decl_bounds(text, last.start())
    owner = text[start:last.start()].split()[0] if text[start:last.start()].split() else "text"
    line, _col = src.position(line_start)
    d = diag("unclosed-text-block", f"text block of `{owner}` is never closed", src.span(last.start(), last.start() + 3),
             notes=(f"it runs on to the quotes of `{opener.group(1).split()[0]}` on line {line}; "
                    'add `"""` on a line of its own where the text should end',))
    return d, (start, len(text))


def _syntax_error(src: SourceFile, text: str, exc: UnexpectedInput) -> tuple[Diagnostic, tuple[int, int]]:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None and isinstance(exc, UnexpectedToken):
        pos = exc.token.start_pos if exc.token.type != "$END" else len(text)
    runaway = _runaway_block(src, text, pos if pos is not None else len(text))
    if runaway is not None:
        return runaway
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        if text.startswith('"""', pos):
            start, _ = _decl_bounds(text, pos)
            opener = text[start:pos].split()[0] if text[start:pos].split() else "text"
            d = diag("unclosed-text-block", f"text block of `{opener}` is never closed",
                     src.span(pos, pos + 3),
                     notes=('add `"""` on a line of its own after the last line of the text',))
            return d, (start, len(text))
        ch = text[pos]
        d = diag("syntax-error", f"unexpected character {ch!r}; expected {_expected(exc.allowed or ())}",
                 src.span(pos, pos + 1), notes=_char_hint(ch))
        return d, _decl_bounds(text, pos)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            pos = len(text.rstrip())
            d = diag("syntax-error", f"unexpected end of file; expected {_expected(exc.expected)}",
                     src.span(max(pos - 1, 0), pos), notes=("finish the last declaration",))
            start, _ = _decl_bounds(text, max(pos - 1, 0))
            return d, (start, len(text))
        pos = tok.start_pos
        shown = str(tok.value) if len(str(tok.value)) <= 30 else str(tok.value)[:27] + "…"
        d = diag("syntax-error", f"unexpected {shown!r}; expected {_expected(exc.expected)}",
                 src.span(pos, tok.end_pos), notes=_token_hint(tok, exc.expected))
        return d, _decl_bounds(text, pos)
    if isinstance(exc, UnexpectedEOF):
        pos = len(text.rstrip())
        d = diag("syntax-error", f"unexpected end of file; expected {_expected(exc.expected)}",
                 src.span(max(pos - 1, 0), pos))
        return d, (_decl_bounds(text, max(pos - 1, 0))[0], len(text))
    raise exc


def _char_hint(ch: str) -> tuple[str, ...]:
    if ch == "'":
        return ("strings use double quotes: write \"…\"",)
    if ch == "{":
        return ("template syntax belongs inside a text block `\"\"\"…\"\"\"`",)
    return ("each declaration starts with import, from, type, input, tool, output, fragment, "
            "system, user or assistant",)


def _token_hint(tok: Token, expected: Iterable[str]) -> tuple[str, ...]:
    expected = set(expected)
    if "TEXT_BLOCK" in expected and tok.type == "STRING":
        return ('message and fragment bodies are text blocks: write """…""" (three quotes)',)
    if tok.type == "NAME" and tok.value in ("string", "integer", "number", "boolean", "dict", "array"):
        better = {"string": "str", "integer": "int", "number": "float", "boolean": "bool",
                  "dict": "map[T]", "array": "list[T]"}[tok.value]
        return (f"write `{better}`",)
    return ("each declaration starts with import, from, type, input, tool, output, fragment, "
            "system, user or assistant",)


class _ToAst(Transformer):
    """Turn the lark tree into frozen AST nodes with spans."""

    def __init__(self, src: SourceFile):
        super().__init__()
        self.src = src
        self.diagnostics: list[Diagnostic] = []

    def walk(self, tree: Tree):
        """What `transform` returns, from the same calls in the same order, without lark's
        per-node method lookup and wrapping (a third of the parse time)."""
        table = _rules()

        def visit(t: Tree):
            children = [visit(c) if isinstance(c, Tree) else c for c in t.children]
            entry = table.get(t.data)
            if entry is None:
                return Tree(t.data, children, t.meta)
            func, with_meta = entry
            try:
                return func(self, t.meta, children) if with_meta else func(self, children)
            except Exception as exc:
                raise VisitError(t.data, t, exc)

        return visit(tree)

    def _span(self, meta) -> Span:
        return self.src.span(meta.start_pos, meta.end_pos)

    def _tok_span(self, tok: Token) -> Span:
        return self.src.span(tok.start_pos, tok.end_pos)

    def _ident(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), self._tok_span(tok))

    def _string(self, tok: Token) -> ast.Value:
        return ast.Value(_unquote(str(tok)), self._tok_span(tok))

    # values
    def string(self, children):
        return self._string(children[0])

    def number(self, children):
        tok = children[0]
        text = str(tok)
        problem = number_problem(text)
        if problem is not None:
            message, help_ = problem
            self.diagnostics.append(diag("limit-exceeded", message, self._tok_span(tok), notes=(help_,)))
            return ast.Value(0, self._tok_span(tok))
        value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        return ast.Value(value, self._tok_span(tok))

    @v_args(meta=True)
    def true(self, meta, children):
        return ast.Value(True, self._span(meta))

    @v_args(meta=True)
    def false(self, meta, children):
        return ast.Value(False, self._span(meta))

    @v_args(meta=True)
    def null(self, meta, children):
        return ast.Value(None, self._span(meta))

    @v_args(meta=True)
    def array(self, meta, children):
        return ast.Value([c.value for c in children], self._span(meta))

    @v_args(meta=True)
    def object(self, meta, children):
        return ast.Value({k: v.value for k, v in children}, self._span(meta))

    def pair(self, children):
        key, value = children
        return (_unquote(str(key)) if key.type == "STRING" else str(key)), value

    # imports
    def dotted_name(self, children):
        return children

    @v_args(meta=True)
    def import_decl(self, meta, children):
        names = children[0]
        alias = self._ident(children[1]) if len(children) > 1 else None
        module_span = self.src.span(names[0].start_pos, names[-1].end_pos)
        return ast.Import(tuple(str(n) for n in names), alias, module_span, self._span(meta))

    @v_args(meta=True)
    def module_ref(self, meta, children):
        level = 0
        names: list[Token] = []
        for c in children:
            if isinstance(c, Token) and c.type == "DOTS":
                level = len(c)
            else:
                names = c
        return level, tuple(str(n) for n in names), self._span(meta)

    def import_item(self, children):
        return ast.ImportItem(self._ident(children[0]), self._ident(children[1]) if len(children) > 1 else None)

    @v_args(meta=True)
    def from_decl(self, meta, children):
        (level, names, module_span), items = children[0], children[1:]
        return ast.FromImport(level, names, tuple(items), module_span, self._span(meta))

    # types
    @v_args(meta=True)
    def constraint(self, meta, children):
        return ast.Constraint(self._ident(children[0]), children[1])

    def constraints(self, children):
        return tuple(children)

    @v_args(meta=True)
    def named_type(self, meta, children):
        cons = children[1] if len(children) > 1 else ()
        return ast.NamedType(self._ident(children[0]), cons, self._span(meta))

    @v_args(meta=True)
    def list_type(self, meta, children):
        cons = children[1] if len(children) > 1 else ()
        return ast.ListType(children[0], cons, self._span(meta))

    @v_args(meta=True)
    def map_type(self, meta, children):
        cons = children[1] if len(children) > 1 else ()
        return ast.MapType(children[0], cons, self._span(meta))

    @v_args(meta=True)
    def literal_union(self, meta, children):
        return ast.LiteralUnion(tuple(self._string(c) for c in children), self._span(meta))

    def field(self, children):
        return ast.Field(self._ident(children[0]), children[1])

    @v_args(meta=True)
    def object_body(self, meta, children):
        return ast.ObjectType(tuple(children), self._span(meta))

    @v_args(meta=True)
    def type_expr(self, meta, children):
        inner = children[0]
        if len(children) > 1:
            return ast.OptionalType(inner, self._span(meta))
        return inner

    @v_args(meta=True)
    def type_alias(self, meta, children):
        return ast.TypeDecl(self._ident(children[0]), children[1], self._span(meta))

    @v_args(meta=True)
    def type_object(self, meta, children):
        return ast.TypeDecl(self._ident(children[0]), children[1], self._span(meta))

    # declarations
    @v_args(meta=True)
    def input_decl(self, meta, children):
        default = children[2] if len(children) > 2 else None
        return ast.InputDecl(self._ident(children[0]), children[1], default, self._span(meta))

    def param(self, children):
        default = children[2] if len(children) > 2 else None
        return ast.Param(self._ident(children[0]), children[1], default)

    def params(self, children):
        return tuple(children)

    def approval(self, children):
        return True

    @v_args(meta=True)
    def tool_decl(self, meta, children):
        name, params, rest = children[0], children[1], children[2:]
        description = next((self._string(c) for c in rest if isinstance(c, Token)), None)
        approval = any(c is True for c in rest)
        return ast.ToolDecl(self._ident(name), params, description, approval, self._span(meta))

    @v_args(meta=True)
    def output_inline(self, meta, children):
        return ast.OutputDecl("json", children[0], None, self._span(meta))

    @v_args(meta=True)
    def output_file(self, meta, children):
        return ast.OutputDecl("file", None, self._string(children[0]), self._span(meta))

    @v_args(meta=True)
    def output_text(self, meta, children):
        return ast.OutputDecl("text", None, None, self._span(meta))

    @v_args(meta=True)
    def fragment_decl(self, meta, children):
        name = children[0]
        params = children[1] if len(children) == 3 else None
        block = children[-1]
        return ast.FragmentDecl(self._ident(name), params, clean_text_block(self.src, block.start_pos, block.end_pos),
                                self._span(meta))

    @v_args(meta=True)
    def message_decl(self, meta, children):
        role, block = children
        return ast.MessageDecl(self._ident(role), clean_text_block(self.src, block.start_pos, block.end_pos),
                               self._span(meta))


@lru_cache(maxsize=1)
def _rules() -> dict:
    """Rule name -> (function, takes meta) for `_ToAst.walk`."""
    table = {}
    for name, attr in vars(_ToAst).items():
        if name.startswith("_") or name == "walk":
            continue
        if isinstance(attr, _VArgsWrapper):
            table[name] = (attr.base_func, True)
        elif callable(attr):
            table[name] = (attr, False)
    return table


def _unquote(text: str) -> str:
    try:
        return json.loads(text)
    except ValueError:
        return text[1:-1]
