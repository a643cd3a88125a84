"""Text blocks: cleandoc rules with a map from cleaned text back to file offsets.

Rules (as `inspect.cleandoc`, minus tab expansion): the first newline after the opening
quotes is dropped; the indentation common to all non-blank lines after the first is removed;
leading and trailing blank lines are removed. Trailing spaces inside lines are kept.
"""

from __future__ import annotations

from ..source import SourceFile
from .ast import TextBlock


def common_margin(lines: list[str]) -> int | None:
    """The indentation (spaces and tabs) common to the non-blank lines; None if all blank."""
    margin = None
    for line in lines:
        stripped = line.lstrip(" \t")
        if stripped:
            indent = len(line) - len(stripped)
            margin = indent if margin is None else min(margin, indent)
    return margin


def clean_text_block(src: SourceFile, start: int, end: int) -> TextBlock:
    """Build a TextBlock from the token `\"\"\"…\"\"\"` at file offsets [start, end)."""
    body_start = start + 3
    raw = src.text[body_start : end - 3]
    lines = raw.split("\n")
    offsets = []
    pos = body_start
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1

    # The first line: text right after the opening quotes keeps no leading whitespace.
    first_strip = len(lines[0]) - len(lines[0].lstrip(" \t"))
    lines[0] = lines[0][first_strip:]
    offsets[0] += first_strip

    margin = common_margin(lines[1:])
    if margin:
        for i in range(1, len(lines)):
            cut = min(margin, len(lines[i]) - len(lines[i].lstrip(" \t")))
            lines[i] = lines[i][cut:]
            offsets[i] += cut

    while lines and not lines[0].strip():
        lines.pop(0)
        offsets.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
        offsets.pop()
    if not lines:
        return TextBlock("", (body_start,), src.span(start, end))
    return TextBlock("\n".join(lines), tuple(offsets), src.span(start, end))
