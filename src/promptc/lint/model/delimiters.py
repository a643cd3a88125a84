"""Delimiters: whether a stretch of a message (an interpolated value) is set off as data,
inside XML-like tags, a fenced block, or quotes right around it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .message import MessageModel

_FENCE_LINE_RE = re.compile(r"^\s*(```|~~~)", re.M)
_OPEN_TAG_ANYWHERE_RE = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>")
_QUOTES = {'"': '"', "“": "”", "'": "'", "`": "`"}


def _delimited(model: MessageModel, start: int, end: int) -> bool:
    text = model.doc.text
    unit = next((u for u in model.units if u.start <= start < u.end), None)
    if unit and any(s.startswith("<") and s.endswith(">") for s in unit.section):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before, after = text[line_start:start], text[end: line_end if line_end >= 0 else len(text)]
    tags = _OPEN_TAG_ANYWHERE_RE.findall(before)
    if any(f"</{t}>" in after for t in tags):
        return True
    if len(_FENCE_LINE_RE.findall(text, 0, line_start)) % 2 == 1:
        return True
    b, a = before.rstrip()[-1:], after.lstrip()[:1]
    return bool(b and b in _QUOTES and a == _QUOTES[b])
