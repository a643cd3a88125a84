"""A parser for the Handlebars templates Dotprompt files use, with Handlebars' own
whitespace rules (`~` and standalone lines), so an importer sees exactly the text that
Handlebars would output around each statement.

The tree mirrors Handlebars' AST (handlebars/compiler/ast + whitespace-control.js): a
`Program` holds `Content`, `Mustache`, `Comment`, `Partial` and `Block` statements. Every
statement carries its offset in the template; a construct this parser does not read raises
`HandlebarsError` at its offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union


class HandlebarsError(Exception):
    def __init__(self, offset: int, message: str, hint: str = "", length: int = 2):
        super().__init__(message)
        self.offset, self.message, self.hint, self.length = offset, message, hint, length


@dataclass
class Path:
    original: str
    parts: list[str]
    depth: int = 0  # how many `../`
    data: bool = False  # `@name`
    this: bool = False  # starts with `this` or `.`
    offset: int = 0


@dataclass
class Literal:
    value: object
    original: str
    offset: int = 0


@dataclass
class SubExpression:
    offset: int


Expr = Union[Path, Literal, SubExpression]


@dataclass
class Content:
    value: str
    original: str
    offset: int
    right_stripped: bool = False
    left_stripped: bool = False


@dataclass
class _Tag:
    """A statement of one tag: where it is, and whether `~` strips whitespace on either side."""

    offset: int
    end: int
    strip_open: bool = False
    strip_close: bool = False


@dataclass
class Comment(_Tag):
    """`{{! … }}` or `{{!-- … --}}`."""


@dataclass(kw_only=True)
class Mustache(_Tag):
    path: Expr
    params: list[Expr]
    hash: dict[str, Expr]


@dataclass(kw_only=True)
class Partial(_Tag):
    name: str
    params: list[Expr]
    hash: dict[str, Expr]
    indent: str = ""


@dataclass
class Program:
    body: list = field(default_factory=list)
    chained: bool = False


@dataclass
class Block:
    path: Path
    params: list[Expr]
    hash: dict[str, Expr]
    offset: int
    end: int
    program: Program = field(default_factory=Program)
    inverse: Program | None = None
    block_params: list[str] = field(default_factory=list)
    inverted: bool = False  # `{{^name}}`
    open_strip: tuple[bool, bool] = (False, False)
    inverse_strip: tuple[bool, bool] = (False, False)
    close_strip: tuple[bool, bool] = (False, False)
    else_offset: int = -1


Statement = Union[Content, Mustache, Comment, Partial, Block]

_OPEN = re.compile(r"(\\)?\{\{")
_ID = r"[^\s!\"#%-,\.\/;->@\[-\^`\{-~]+"
_TOKEN = re.compile(
    r"\s*(?:(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<number>-?\d+(?:\.\d+)?(?=[\s)}~=|]|$))"
    r"|(?P<hashkey>" + _ID + r")=(?!=)"
    r"|(?P<open>\()|(?P<close>\))"
    r"|(?P<as>as\s+\|(?P<bp>[^|]*)\|)"
    r"|(?P<path>@?(?:\.\./|\./)*(?:" + _ID + r"|\[[^\]]*\]|\.|this)(?:[./](?:" + _ID + r"|\[[^\]]*\]))*))"
)


def _segment(seg: str) -> str:
    return seg[1:-1] if seg.startswith("[") and seg.endswith("]") else seg


def _path(text: str, offset: int) -> Path:
    data = text.startswith("@")
    rest = text[1:] if data else text
    depth = 0
    this = False
    while True:
        if rest.startswith("../"):
            depth += 1
            rest = rest[3:]
        elif rest.startswith("./"):
            this = True
            rest = rest[2:]
        else:
            break
    parts = [_segment(p) for p in re.findall(r"\[[^\]]*\]|[^./]+", rest)]
    if parts and parts[0] == "this" and not rest.startswith("["):
        this = True
        parts = parts[1:]
    elif rest in (".", ""):
        this = True
        parts = []
    return Path(text, parts, depth, data, this, offset)


def _literal_or_path(kind: str, text: str, offset: int) -> Expr:
    if kind == "string":
        body = text[1:-1]
        return Literal(re.sub(r"\\(.)", r"\1", body), text, offset)
    if kind == "number":
        return Literal(float(text) if "." in text else int(text), text, offset)
    if text in ("true", "false"):
        return Literal(text == "true", text, offset)
    if text in ("null", "undefined"):
        return Literal(None, text, offset)
    return _path(text, offset)


def _parse_inside(text: str, offset: int) -> tuple[list[Expr], dict[str, Expr], list[str]]:
    """The expressions of a statement's inside: positional ones, hash pairs, block params."""
    exprs: list[Expr] = []
    hashes: dict[str, Expr] = {}
    block_params: list[str] = []
    at = 0
    pending_key: str | None = None
    while at < len(text):
        if not text[at:].strip():
            break
        m = _TOKEN.match(text, at)
        if not m or m.end() == at:
            start = at + len(text[at:]) - len(text[at:].lstrip())
            raise HandlebarsError(offset + start, f"cannot read `{text[start:].split()[0]}` in this Handlebars expression",
                                  "write a variable path, a string, a number or key=value")
        start = m.start(m.lastgroup) if m.lastgroup else at
        at = m.end()
        kind = m.lastgroup
        if kind in ("as", "bp"):
            block_params = m.group("bp").split()
            continue
        if kind == "hashkey":
            pending_key = m.group("hashkey")
            continue
        if kind == "open":
            raise HandlebarsError(offset + start, "a subexpression `( … )` has no form in promptc's templates",
                                  "compute the value in the caller and pass it as an input", 1)
        if kind == "close":
            raise HandlebarsError(offset + start, "unbalanced `)`", "remove it", 1)
        value = _literal_or_path(kind or "path", m.group(kind or "path"), offset + start)
        if pending_key is not None:
            hashes[pending_key] = value
            pending_key = None
        elif hashes:
            raise HandlebarsError(offset + start, "a positional argument after key=value pairs",
                                  "put positional arguments first")
        else:
            exprs.append(value)
    return exprs, hashes, block_params


def _find_close(source: str, start: int, triple: bool) -> tuple[int, int, bool]:
    """(index of the closing `}}`, index after it, whether `~` precedes it)."""
    closer = "}}}" if triple else "}}"
    at = start
    quote = ""
    while at < len(source):
        ch = source[at]
        if quote:
            if ch == "\\":
                at += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif source.startswith(closer, at):
            tilde = at > start and source[at - 1] == "~"
            return (at - 1 if tilde else at), at + len(closer), tilde
        at += 1
    raise HandlebarsError(start - 2, "this `{{` is never closed", f"close it with `{closer}`")


def parse(source: str) -> Program:
    """Parse a template and apply Handlebars' whitespace control."""
    root = Program()
    stack: list[tuple[Block, Program]] = []
    current = root
    at = 0
    text_start = 0
    run_start = 0  # where the current text run began (escapes join runs)
    pending_text: list[str] = []

    def flush(upto: int) -> None:
        nonlocal pending_text
        text = "".join(pending_text) + source[text_start:upto]
        pending_text = []
        if text:
            current.body.append(Content(text, text, run_start))

    while True:
        m = _OPEN.search(source, at)
        if not m:
            break
        if m.group(1):  # `\{{`: a literal `{{` (the backslash is dropped)
            pending_text.append(source[text_start:m.start()] + "{{")
            at = text_start = m.end()
            continue
        start = m.start()
        flush(start)
        run_start = start  # corrected to the tag's end below
        i = m.end()
        if source.startswith("{{", i):
            raise HandlebarsError(start, "a raw block `{{{{ … }}}}` has no form in promptc's templates",
                                  "write the text literally", 4)
        triple = source.startswith("{", i)
        if triple:
            i += 1
        strip_open = source.startswith("~", i)
        if strip_open:
            i += 1
        if source.startswith("!", i):  # comment
            if source.startswith("!--", i):
                close = source.find("--", i + 3)
                while close != -1 and not re.match(r"--~?\}\}", source[close:]):
                    close = source.find("--", close + 1)
                if close == -1:
                    raise HandlebarsError(start, "this comment `{{!--` is never closed", "close it with `--}}`", 5)
                strip_close = source.startswith("--~", close)
                end = source.index("}}", close) + 2
            else:
                close = source.find("}}", i)
                if close == -1:
                    raise HandlebarsError(start, "this comment `{{!` is never closed", "close it with `}}`", 3)
                strip_close = source[close - 1] == "~"
                end = close + 2
            current.body.append(Comment(start, end, strip_open, strip_close))
            at = text_start = run_start = end
            continue
        inner_end, end, strip_close = _find_close(source, i, triple)
        inside = source[i:inner_end]
        kind = inside[:1] if inside[:1] in "#/^>&" else ""
        body = inside[1:] if kind else inside
        body_offset = i + (1 if kind else 0)
        stripped = body.strip()
        if kind == "#" and body[:1] in ">*":
            raise HandlebarsError(start, f"`{{{{#{body[:1]}` blocks (partial blocks, decorators) have no form in promptc's templates",
                                  "use a plain partial `{{> name}}`", 3)
        if kind == ">":
            if body.lstrip()[:1] == "(":
                raise HandlebarsError(start, "a dynamic partial `{{> (expr)}}` has no form in promptc's templates",
                                      "name the partial directly: `{{> name}}`", 3)
            name_m = re.match(r"\s*([^\s}~]+)", body)
            name = name_m.group(1) if name_m else ""
            params, hashes, _ = _parse_inside(body[name_m.end():] if name_m else "", body_offset + (name_m.end() if name_m else 0))
            current.body.append(Partial(start, end, strip_open, strip_close, name=name.strip("'\""), params=params,
                                        hash=hashes))
        elif kind in ("#", "^") and stripped:
            name_m = re.match(r"\s*(\S+)", body)
            assert name_m
            path = _path(name_m.group(1), body_offset + name_m.start(1))
            params, hashes, block_params = _parse_inside(body[name_m.end():], body_offset + name_m.end())
            block = Block(path, params, hashes, start, end, inverted=kind == "^", block_params=block_params,
                          open_strip=(strip_open, strip_close))
            current.body.append(block)
            stack.append((block, current))
            current = block.program
        elif (kind == "^" and not stripped) or (not kind and re.match(r"\s*else(\s|$)", body)):
            if not stack:
                raise HandlebarsError(start, "`{{else}}` outside a block", "remove it, or open a block before it", end - start)
            block, _parent = stack[-1]
            rest = re.sub(r"^\s*else", "", body) if kind != "^" else ""
            if block.inverse is not None or block.inverted:
                raise HandlebarsError(start, "a second `{{else}}` in one block",
                                      "keep one `{{else}}` per block", end - start)
            if rest.strip():
                raise HandlebarsError(start, "a chained `{{else if …}}`: the importer reads only a plain `{{else}}`",
                                      "nest the second condition: `{{else}}{{#if …}}…{{/if}}`", end - start)
            block.inverse = Program()
            block.inverse_strip = (strip_open, strip_close)
            block.else_offset = start
            current = block.inverse
        elif kind == "/":
            name = stripped
            if not stack:
                raise HandlebarsError(start, f"`{{{{/{name}}}}}` closes no block", "remove it, or open the block before it",
                                      end - start)
            block, parent = stack.pop()
            if block.path.original != name:
                raise HandlebarsError(start, f"`{{{{/{name}}}}}` closes `{{{{#{block.path.original}}}}}`",
                                      f"write `{{{{/{block.path.original}}}}}`", end - start)
            block.close_strip = (strip_open, strip_close)
            block.end = end
            if block.inverted:  # `{{^x}}A{{/x}}` is `{{#unless x}}`-like: its body is the inverse
                block.program, block.inverse = Program(), block.program
            current = parent
        else:
            if not stripped:
                raise HandlebarsError(start, "an empty `{{}}`", "write a variable name inside it", end - start)
            exprs, hashes, _ = _parse_inside(body, body_offset)
            if not exprs:
                raise HandlebarsError(start, "a mustache with only key=value pairs", "name a variable or helper first",
                                      end - start)
            path = exprs[0]
            if not isinstance(path, Path):
                path = Literal(path.value, path.original, path.offset)  # type: ignore[union-attr]
            current.body.append(Mustache(start, end, strip_open, strip_close, path=path, params=exprs[1:],
                                         hash=hashes))
        at = text_start = run_start = end
    flush(len(source))
    if stack:
        block = stack[-1][0]
        raise HandlebarsError(block.offset, f"`{{{{#{block.path.original}}}}}` is never closed",
                              f"add `{{{{/{block.path.original}}}}}` where the block should end",
                              len(block.path.original) + 3)
    _WhitespaceControl().program(root, is_root=True)
    return root


def _main_program(block: Block) -> Program:
    """Handlebars' `block.program || block.inverse`: an inverted section has only an inverse."""
    if block.inverted:
        assert block.inverse is not None
        return block.inverse
    return block.program


# --- whitespace control: a port of handlebars/compiler/whitespace-control.js ----------------

def _is_prev_whitespace(body: list, i: int | None, is_root: bool) -> bool:
    if i is None:
        i = len(body)
    prev = body[i - 1] if i - 1 >= 0 else None
    sibling = body[i - 2] if i - 2 >= 0 else None
    if prev is None:
        return is_root
    if isinstance(prev, Content):
        # `\Z`, not `$`: JavaScript's `$` does not match before a final newline.
        pattern = r"\r?\n\s*?\Z" if (sibling is not None or not is_root) else r"(^|\r?\n)\s*?\Z"
        return re.search(pattern, prev.original) is not None
    return False


def _is_next_whitespace(body: list, i: int | None, is_root: bool) -> bool:
    if i is None:
        i = -1
    nxt = body[i + 1] if i + 1 < len(body) else None
    sibling = body[i + 2] if i + 2 < len(body) else None
    if nxt is None:
        return is_root
    if isinstance(nxt, Content):
        pattern = r"^\s*?\r?\n" if (sibling is not None or not is_root) else r"^\s*?(\r?\n|\Z)"
        return re.search(pattern, nxt.original) is not None
    return False


def _omit_right(body: list, i: int | None, multiple: bool = False) -> None:
    index = 0 if i is None else i + 1
    current = body[index] if 0 <= index < len(body) else None
    if not isinstance(current, Content) or (not multiple and current.right_stripped):
        return
    original = current.value
    current.value = re.sub(r"^\s+" if multiple else r"^[ \t]*\r?\n?", "", current.value, count=1)
    current.right_stripped = current.value != original


def _omit_left(body: list, i: int | None, multiple: bool = False) -> bool:
    index = len(body) - 1 if i is None else i - 1
    current = body[index] if 0 <= index < len(body) else None
    if not isinstance(current, Content) or (not multiple and current.left_stripped):
        return False
    original = current.value
    current.value = re.sub(r"\s+\Z" if multiple else r"[ \t]+\Z", "", current.value, count=1)
    current.left_stripped = current.value != original
    return current.left_stripped


class _WhitespaceControl:
    def __init__(self) -> None:
        self.root_seen = False

    def program(self, program: Program, is_root: bool = False) -> None:
        body = program.body
        for i, current in enumerate(body):
            strip = self.accept(current)
            if not strip:
                continue
            prev_ws = _is_prev_whitespace(body, i, is_root)
            next_ws = _is_next_whitespace(body, i, is_root)
            open_standalone = strip.get("openStandalone", False) and prev_ws
            close_standalone = strip.get("closeStandalone", False) and next_ws
            inline_standalone = strip.get("inlineStandalone", False) and prev_ws and next_ws
            if strip.get("close"):
                _omit_right(body, i, True)
            if strip.get("open"):
                _omit_left(body, i, True)
            if inline_standalone:
                _omit_right(body, i)
                if _omit_left(body, i) and isinstance(current, Partial):
                    m = re.search(r"([ \t]+\Z)", body[i - 1].original)
                    current.indent = m.group(1) if m else ""
            if open_standalone:
                assert isinstance(current, Block)
                _omit_right(_main_program(current).body, None)
                _omit_left(body, i)
            if close_standalone:
                assert isinstance(current, Block)
                _omit_right(body, i)
                _omit_left((current.inverse or current.program).body, None)

    def accept(self, node: Statement) -> dict | None:
        if isinstance(node, Mustache):
            return {"open": node.strip_open, "close": node.strip_close}
        if isinstance(node, (Comment, Partial)):
            return {"inlineStandalone": True, "open": node.strip_open, "close": node.strip_close}
        if isinstance(node, Block):
            return self.block(node)
        return None

    def block(self, block: Block) -> dict:
        self.program(block.program)
        if block.inverse is not None:
            self.program(block.inverse)
        # Handlebars keeps an inverted section's body as `inverse` with no program.
        program = _main_program(block)
        inverse = block.inverse if not block.inverted else None
        first_inverse = last_inverse = inverse
        strip = {
            "open": block.open_strip[0],
            "close": block.close_strip[1],
            "openStandalone": _is_next_whitespace(program.body, None, False),
            "closeStandalone": _is_prev_whitespace((first_inverse or program).body, None, False),
        }
        if block.open_strip[1]:
            _omit_right(program.body, None, True)
        if inverse is not None:
            if block.inverse_strip[0]:
                _omit_left(program.body, None, True)
            if block.inverse_strip[1]:
                _omit_right(first_inverse.body, None, True)  # type: ignore[union-attr]
            if block.close_strip[0]:
                _omit_left(last_inverse.body, None, True)  # type: ignore[union-attr]
            if _is_prev_whitespace(program.body, None, False) and _is_next_whitespace(first_inverse.body, None, False):  # type: ignore[union-attr]
                _omit_left(program.body, None)
                _omit_right(first_inverse.body, None)  # type: ignore[union-attr]
        elif block.close_strip[0]:
            _omit_left(program.body, None, True)
        return strip
