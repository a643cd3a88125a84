"""Mentions: prose that names something callable (`the search tool`, `search_kb(`,
`search_kb`), outside examples and code blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .segments import Unit


@dataclass(frozen=True)
class Mention:
    """Prose that names something callable: `the search tool`, `search_kb(`, `search_kb`."""

    name: str
    start: int
    end: int
    form: str  # "phrase" ("call the X tool") | "call" ("x_y(") | "code" (`x_y`)
    unit: Unit


# "call the lookup_order tool", "the `Search` function": the name must look like an
# identifier (backticked, snake_case or camelCase), not an English word ("search tool").
_TOOL_PHRASE_RE = re.compile(
    r"\b(?:(?:call|use|invoke|run|trigger|using|calling|with)\s+(?:the\s+)?|the\s+)"
    r"(`[A-Za-z_][\w-]*`|[A-Za-z][a-z0-9]*(?:_[A-Za-z0-9]+)+|[a-z]+[A-Z]\w*)\s+(?:tool|function)\b")
_CALL_FORM_RE = re.compile(r"(?<![\w.`])([A-Za-z_][A-Za-z0-9]*_[A-Za-z0-9_]+)\(")
_CODE_IDENT_RE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*_[A-Za-z0-9_]*)(?:\(\))?`")
_NOT_TOOL_NAMES = {"the", "a", "an", "this", "that", "each", "any", "same", "right", "correct", "appropriate",
                   "relevant", "following", "above", "below", "other", "new", "available", "one", "which", "what",
                   "your", "their", "its", "our", "no", "every", "helper", "proper", "specific", "given", "internal"}


def _mentions(units: list[Unit]) -> list[Mention]:
    """Names prose uses as tools or functions, outside examples and code blocks."""
    out: list[Mention] = []
    for u in units:
        if u.example:
            continue
        seen: set[int] = set()
        for regex, form, text in ((_TOOL_PHRASE_RE, "phrase", u.text), (_CALL_FORM_RE, "call", u.plain),
                                  (_CODE_IDENT_RE, "code", u.text)):
            for m in regex.finditer(text):
                name = m.group(1).strip("`")
                if name.lower() in _NOT_TOOL_NAMES or m.start(1) in seen:
                    continue
                seen.add(m.start(1))
                tick = 1 if m.group(1).startswith("`") else 0
                out.append(Mention(name, u.start + m.start(1) + tick, u.start + m.end(1) - tick, form, u))
    return out
