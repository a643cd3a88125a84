"""Positions at the protocol edge: promptc's 1-based code-point columns ⇄ LSP positions.

promptc spans count lines and columns from 1, in Unicode code points. The Language Server
Protocol counts both from 0 and, by default, measures columns in UTF-16 code units (an
emoji such as 🙂 is two units, a CJK character one); a client may negotiate UTF-8 or
UTF-32 instead. Nothing outside the `lsp` package ever sees an LSP position.
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types

from ..source import Span

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"

#: Returns the text of a 1-based line, without its line break ("" past the end).
LineText = Callable[[int], str]


def _units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    return 2 if cp >= 0x10000 else 1


def units_before(line_text: str, column: int, encoding: str = UTF16) -> int:
    """Code units before 1-based code-point `column` (columns past the end count one each)."""
    before = max(column - 1, 0)
    head = line_text[:before]
    if encoding == UTF32:
        return before
    if encoding == UTF16 and head.isascii():
        return before
    return sum(_units(ch, encoding) for ch in head) + max(before - len(head), 0)


def column_at(line_text: str, character: int, encoding: str = UTF16) -> int:
    """The 1-based code-point column of an LSP `character` offset on a line.

    An offset inside a character (half of a surrogate pair) maps to that character.
    """
    if character <= 0:
        return 1
    if encoding == UTF32 or (encoding == UTF16 and line_text.isascii()):
        return character + 1
    used = 0
    for i, ch in enumerate(line_text):
        if used >= character:
            return i + 1
        used += _units(ch, encoding)
        if used > character:
            return i + 1
    return len(line_text) + 1 + (character - used)


def to_position(line_text: LineText, line: int, column: int, encoding: str = UTF16) -> types.Position:
    """An LSP position for a 1-based promptc line and column."""
    line = max(line, 1)
    return types.Position(line=line - 1, character=units_before(line_text(line), column, encoding))


def to_range(line_text: LineText, span: Span, encoding: str = UTF16) -> types.Range:
    return types.Range(start=to_position(line_text, span.line, span.column, encoding),
                       end=to_position(line_text, span.end_line, span.end_column, encoding))


def from_position(line_text: LineText, position: types.Position, encoding: str = UTF16) -> tuple[int, int]:
    """The 1-based (line, column) in code points of an LSP position."""
    line = position.line + 1
    return line, column_at(line_text(line), position.character, encoding)


def lines_of(text: str) -> LineText:
    """A `LineText` over a string (LF, CRLF or CR line breaks)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def get(line: int) -> str:
        return lines[line - 1] if 1 <= line <= len(lines) else ""
    return get


def encoding_name(kind: object) -> str:
    """Map a negotiated `PositionEncodingKind` (or None) to one of UTF8, UTF16, UTF32."""
    value = getattr(kind, "value", kind)
    return value if value in (UTF8, UTF32) else UTF16
