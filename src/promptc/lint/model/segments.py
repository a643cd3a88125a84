"""Segmentation: the message cut into units (sentences, bullets, headings), each with its
section path, its branch scope and whether it sits in an example, a code block or a
transcript, and with quoted material blanked out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, wraps

from ..document import Branch, Document
from .vocabulary import (
    _BULLET_RE, _CLOSE_TAG_RE, _CONDITION_RE, _EXAMPLE_LEAD_RE, _EXAMPLE_SECTION_RE, _FENCE_RE, _GENERAL_SECTIONS,
    _HEADING_RE, _INLINE_TAG_RE, _OPEN_TAG_RE, _QUOTE_RE, _SENTENCE_END_RE, _SITUATION_TITLE_RE,
)


@dataclass(frozen=True)
class Unit:
    """A sentence, a bullet or a heading of the message."""

    start: int
    end: int
    text: str
    plain: str  # the text with quoted material blanked out (same length)
    section: tuple[str, ...]
    scope: tuple[Branch, ...]
    example: bool  # inside an example, a code block or a transcript
    kind: str  # "sentence" | "bullet" | "heading"
    line: int  # 0-based line index within the document

    @cached_property
    def condition(self) -> str | None:
        """The condition or exception the sentence states itself ("if …", "unless …",
        "For emails, …"), or None."""
        m = _CONDITION_RE.search(self.plain)
        return m.group(0) if m else None

    @cached_property
    def situation(self) -> str | None:
        """The innermost section that names one situation ("Emails", "<math_problems>",
        "When the user is upset") rather than the reply in general; None in general sections
        ("Tone and style", "<general_guidelines>") and outside sections."""
        for title in reversed(self.section):
            bare = title.strip("<> ")
            words = set(re.findall(r"[a-z']+", bare.lower().replace("_", " ").replace("-", " ")))
            if _SITUATION_TITLE_RE.match(bare) or not words & _GENERAL_SECTIONS:
                return title
        return None


# --- segmentation -------------------------------------------------------------------

def memo(fn):
    """Compute a feature of a unit or an instruction once and keep it on the object: the
    features live in the layers above, the objects in this one and the next."""
    name = "_memo_" + fn.__name__

    @wraps(fn)
    def wrapper(obj):
        d = obj.__dict__
        if name not in d:
            d[name] = fn(obj)
        return d[name]

    return wrapper


def _units(doc: Document):
    text = doc.text
    section: list[tuple[int, str]] = []  # (level, title); tags use level 100 + depth
    tags: list[str] = []
    in_fence = False
    example_lead_until = -1  # a line "Example:" marks what follows, until a blank line
    pos = 0
    lines = text.split("\n")
    prose_fences = _prose_fences(lines)
    joined_until = -1
    for index, line in enumerate(lines):
        start, end = pos, pos + len(line)
        pos = end + 1
        if index <= joined_until:
            continue  # a continuation line, read with the line it continues
        stripped = line.strip()
        if _FENCE_RE.match(line):
            in_fence = not in_fence and index not in prose_fences
            continue
        if in_fence:
            if stripped:
                yield _unit(doc, start, end, line, _path(section, tags), True, "sentence", index)
            continue
        if not stripped:
            example_lead_until = -1
            continue
        m = _HEADING_RE.match(line)
        if m:
            level = len(m.group(1))
            section = [s for s in section if s[0] < level] + [(level, m.group(2))]
            example_lead_until = -1
            yield _unit(doc, start, end, line, _path(section, tags), False, "heading", index)
            continue
        m = _OPEN_TAG_RE.match(line)
        if m and not _CLOSE_TAG_RE.match(line):
            tags.append(m.group(1))
            continue
        m = _CLOSE_TAG_RE.match(line)
        if m:
            if m.group(1) in tags:
                del tags[len(tags) - 1 - tags[::-1].index(m.group(1)):]
            continue
        path = _path(section, tags)
        in_example = bool(_EXAMPLE_SECTION_RE.search(" ".join(path))) or example_lead_until >= 0
        if _EXAMPLE_LEAD_RE.match(line):
            in_example = True
            if stripped.endswith(":"):
                example_lead_until = index
        bullet = _BULLET_RE.match(line)
        kind = "bullet" if bullet else "sentence"
        body_start = start + (bullet.end() if bullet else len(line) - len(line.lstrip()))
        k = index
        while k + 1 < len(lines) and _continues(lines[k], lines[k + 1]):
            k += 1
            end += 1 + len(lines[k])
        joined_until = k
        for s, e in _sentences(text, body_start, end):
            yield _unit(doc, s, e, text[s:e], path, in_example, kind, index)
            kind = "sentence"


def _continues(line: str, nxt: str) -> bool:
    """`nxt` carries on the sentence of `line` (text wrapped at a fixed width): `line` does not
    end a sentence, and `nxt` is no bullet, heading, fence or tag and starts in lower case or
    is indented under a bullet."""
    last = line.rstrip()
    body = nxt.strip()
    if not last or not body or last.endswith((".", "!", "?", ":", ";", "```")) or _FENCE_RE.match(nxt):
        return False
    if _BULLET_RE.match(nxt) or _HEADING_RE.match(nxt) or body.startswith(("<", "|", "{", "#")):
        return False
    indented = len(nxt) - len(nxt.lstrip()) > 0 and (_BULLET_RE.match(line) or len(line) - len(line.lstrip()) > 0)
    return body[0].islower() or body[0] in "[(`\"'“" or bool(indented)


_PROSE_INFO = {"markdown", "md", "text", "txt", "plaintext", "prompt", ""}


def _prose_fences(lines: list[str]) -> set[int]:
    """Opening lines of fences that wrap the instructions themselves rather than an example:
    a ```markdown (or untagged, or text) fence holding most of the message."""
    out: set[int] = set()
    opened = None
    for i, line in enumerate(lines):
        if not _FENCE_RE.match(line):
            continue
        if opened is None:
            opened = i
            continue
        info = lines[opened].strip().lstrip("`~").strip().lower()
        if info in _PROSE_INFO and (i - opened) * 2 >= len(lines) and i - opened >= 8:
            out.update((opened, i))
        opened = None
    if opened is not None and len(lines) - opened >= 8 and \
            lines[opened].strip().lstrip("`~").strip().lower() in _PROSE_INFO and (len(lines) - opened) * 2 >= len(lines):
        out.add(opened)
    return out


def _path(section: list[tuple[int, str]], tags: list[str]) -> tuple[str, ...]:
    return tuple(t for _, t in section) + tuple(f"<{t}>" for t in tags)


def _sentences(text: str, start: int, end: int):
    chunk = text[start:end]
    at = 0
    for m in _SENTENCE_END_RE.finditer(chunk):
        if m.start() > at:
            yield start + at, start + m.start()
        at = m.end()
    if at < len(chunk):
        yield start + at, end


def _unit(doc: Document, start: int, end: int, text: str, section, example: bool, kind: str, line: int) -> Unit:
    plain = _QUOTE_RE.sub(lambda m: " " * len(m.group(0)), text)
    plain = _INLINE_TAG_RE.sub(lambda m: " " * len(m.group(0)), plain)
    return Unit(start, end, text, plain, section, doc.scope_at(start), example, kind, line)
