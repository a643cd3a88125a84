"""Template text inside text blocks, parsed with jinja2's own parser.

jinja2 records only a line number per node. To point at the exact column, the lexer here
stamps each token with its character offset (plus one) in place of the line number, so
every node's `lineno` is the offset of the token it starts at. `TextBlock.file_offset` then
maps that offset to the position in the `.prompt` file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import Lexer, TokenStream

from ..diagnostics import Diagnostic, diag
from ..limits import MAX_BLOCK_DEPTH, MAX_BRACKET_DEPTH, MAX_OPERATORS, number_problem
from ..source import SourceFile, Span
from .ast import TextBlock

_WORD = re.compile(r"\w+")
OPENING_TAGS = {"if", "for", "macro", "call", "filter", "with", "block", "autoescape", "trans", "set"}


class _OffsetError(TemplateSyntaxError):
    """A lexer error whose lineno was converted to an offset, like every other position."""


class _OffsetLexer(Lexer):
    def tokenize(self, source, name=None, filename=None, state=None) -> TokenStream:
        return TokenStream(self.wrap(self._with_offsets(source, name, filename, state), name, filename),
                           name, filename)

    def _with_offsets(self, source, name, filename, state) -> Iterator[tuple[int, str, str]]:
        cursor = 0
        stream = self.tokeniter(source, name, filename, state)
        while True:
            try:
                _line, token, value = next(stream)
            except StopIteration:
                return
            except TemplateSyntaxError as exc:
                raise _OffsetError(exc.message or str(exc), cursor + 1, name, filename) from None
            found = source.find(value, cursor) if value else -1
            offset = found if found >= 0 else cursor
            cursor = offset + len(value)
            yield offset + 1, token, value

    def wrap_tokens(self, source: str) -> Iterator[tuple[int, str, str]]:
        """(offset + 1, token type, raw text) for every token, with operators typed by name."""
        for offset, token, value in self._with_offsets(source, None, None, None):
            yield offset, token, value

    def tags(self, source: str) -> list[tuple[int, str]]:
        """Every block tag `{% name …` as (offset, name), in order; raw blocks skipped."""
        out = []
        previous: tuple[int, str] | None = None
        try:
            for offset, token, value in self._with_offsets(source, None, None, None):
                if previous and previous[1] == "block_begin" and token == "name":
                    out.append((previous[0] - 1, value))
                if token != "whitespace":
                    previous = (offset, token)
        except TemplateSyntaxError:
            pass
        return out


    def trimmed_newlines(self, source: str) -> list[tuple[int, int]]:
        """Each block tag whose `%}` takes the newline after it (trim_blocks), as the
        offsets of its `{%` and of that newline. Tags ending `-%}` or `+%}` say what they
        want and are left out."""
        out = []
        begin = None
        try:
            for offset, token, value in self._with_offsets(source, None, None, None):
                if token == "block_begin":
                    begin = offset - 1
                elif token == "block_end" and begin is not None:
                    if value.startswith("%}") and value.endswith("\n"):
                        out.append((begin, offset - 1 + len(value) - 1))
                    begin = None
        except TemplateSyntaxError:
            pass
        return out


class PortableEnvironment(Environment):
    """The environment whose parser reads template text. It never renders anything."""

    def __init__(self) -> None:
        super().__init__(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                         autoescape=False)
        self._offset_lexer = _OffsetLexer(self)

    @property
    def lexer(self) -> Lexer:  # type: ignore[override]
        return self._offset_lexer


@lru_cache(maxsize=1)
def environment() -> PortableEnvironment:
    return PortableEnvironment()


@dataclass(frozen=True)
class ParsedTemplate:
    block: TextBlock
    source: SourceFile
    root: nodes.Template | None

    def span_at(self, offset: int, length: int = 1) -> Span:
        start = self.block.file_offset(offset)
        end = self.block.file_offset(offset + length) if length > 0 else start
        if end <= start:
            end = start + max(length, 1)
        return self.source.span(start, end)

    def node_span(self, node: nodes.Node, length: int | None = None) -> Span:
        """The span at a node's first token; by default as long as the word there."""
        offset = max(node.lineno - 1, 0)
        if length is None:
            m = _WORD.match(self.block.text, offset)
            length = len(m.group(0)) if m else 1
        return self.span_at(offset, length)


def parse_template(src: SourceFile, block: TextBlock) -> tuple[ParsedTemplate, list[Diagnostic]]:
    env = environment()
    text = block.text
    parsed = ParsedTemplate(block, src, None)
    problems = _limit_problems(parsed)
    if problems:
        return parsed, problems
    try:
        root = env.parse(text)
    except TemplateSyntaxError as exc:
        return parsed, [_syntax_diag(parsed, exc)]
    except (ValueError, RecursionError, OverflowError):  # a limit the token scan did not foresee
        return parsed, [diag("limit-exceeded", "this template is too large or too deeply nested to read",
                             parsed.span_at(0, 1), notes=("see docs/limits.md for the limits of templates",))]
    return ParsedTemplate(block, src, root), []


_OPENERS = {"lparen", "lbracket", "lbrace"}
_CLOSERS = {"rparen", "rbracket", "rbrace"}
_NOT_OPERATORS = _OPENERS | _CLOSERS | {"comma", "colon"}
_WORD_OPERATORS = {"and", "or", "not", "is", "in", "if", "else"}


def _limit_problems(parsed: ParsedTemplate) -> list[Diagnostic]:
    """Number literals, bracket and block nesting and operator chains within the limits,
    checked on the tokens before jinja2's recursive parser sees them."""
    out: list[Diagnostic] = []
    blocks: list[str] = []
    brackets = operators = 0
    after_block_begin = False
    tokens = environment().lexer.wrap_tokens(parsed.block.text)
    while True:
        try:
            offset, token, value = next(tokens)
        except (StopIteration, TemplateSyntaxError):  # the parser reports a syntax error
            return out
        at = offset - 1
        if token in ("block_begin", "variable_begin"):
            brackets = operators = 0
        elif token in ("integer", "float"):
            problem = number_problem(value)
            if problem is not None:
                out.append(diag("limit-exceeded", problem[0], parsed.span_at(at, len(value)), notes=(problem[1],)))
        elif token == "operator" and value in "([{":
            brackets += 1
            if brackets == MAX_BRACKET_DEPTH + 1:
                out.append(diag("limit-exceeded", f"brackets nest deeper than {MAX_BRACKET_DEPTH} levels here",
                                parsed.span_at(at, 1),
                                notes=(f"template expressions nest at most {MAX_BRACKET_DEPTH} `(`, `[` and `{{`; "
                                       "split the expression",)))
        elif token == "operator" and value in ")]}":
            brackets = max(brackets - 1, 0)
        elif (token == "operator" and value not in ",:") or (token == "name" and value in _WORD_OPERATORS
                                                             and not after_block_begin):
            operators += 1
            if operators == MAX_OPERATORS + 1:
                out.append(diag("limit-exceeded", f"this tag holds more than {MAX_OPERATORS} operators",
                                parsed.span_at(at, len(value)),
                                notes=(f"a tag holds at most {MAX_OPERATORS} operators and filters; "
                                       "split the condition across nested `{% if %}` blocks or pass a computed input",)))
        if after_block_begin and token == "name":
            if value in ("if", "for"):
                blocks.append(value)
                if len(blocks) == MAX_BLOCK_DEPTH + 1:
                    out.append(diag("limit-exceeded", f"`{{% {value} %}}` blocks nest deeper than {MAX_BLOCK_DEPTH} levels here",
                                    parsed.span_at(at, len(value)),
                                    notes=(f"blocks nest at most {MAX_BLOCK_DEPTH} deep; combine conditions with `and` "
                                           "or use `{% elif %}` instead of a nested `{% if %}`",)))
            elif value in ("endif", "endfor") and blocks:
                blocks.pop()
        if token != "whitespace":
            after_block_begin = token == "block_begin"


def _syntax_diag(parsed: ParsedTemplate, exc: TemplateSyntaxError) -> Diagnostic:
    text = parsed.block.text
    message = exc.message or "invalid template syntax"
    offset = max((exc.lineno or 1) - 1, 0)
    if "Unexpected end of template" in message or "unexpected end of template" in message:
        open_tag = _innermost_open(text)
        if open_tag is not None:
            tag_offset, tag = open_tag
            return diag("unclosed-template-block", f"`{{% {tag} %}}` is never closed",
                        parsed.span_at(tag_offset, text.find(tag, tag_offset) + len(tag) - tag_offset),
                        notes=(f"add `{{% end{tag} %}}` where the {tag} block should end",))
    if "Encountered unknown tag" in message:
        tag = message.split("'")[1] if "'" in message else "?"
        expected = [t for t in ("endif", "endfor", "elif", "else") if t in message]
        if tag.startswith("end") or tag in ("elif", "else"):
            return diag("template-syntax", f"`{{% {tag} %}}` has no matching opening block",
                        parsed.span_at(offset, len(tag)),
                        notes=("remove it, or open the block it closes before it",))
        from ..semantic.portability import unknown_tag_hint

        return diag("non-portable-template", f"`{{% {tag} %}}` is not part of the portable template subset",
                    parsed.span_at(offset, len(tag)), notes=(unknown_tag_hint(tag, expected),))
    length = 1
    if offset < len(text) and not text[offset].isspace():
        end = offset
        while end < len(text) and not text[end].isspace():
            end += 1
        length = max(end - offset, 1)
    return diag("template-syntax", f"template syntax error: {message}", parsed.span_at(offset, length),
                notes=("template expressions are written `{{ name }}`, blocks `{% if … %}…{% endif %}`",))


def _innermost_open(text: str) -> tuple[int, str] | None:
    lexer: _OffsetLexer = environment().lexer  # type: ignore[assignment]
    stack: list[tuple[int, str]] = []
    for offset, name in lexer.tags(text):
        if name in OPENING_TAGS:
            stack.append((offset, name))
        elif name.startswith("end") and stack and stack[-1][1] == name[3:]:
            stack.pop()
    return stack[-1] if stack else None
