"""Segmentation: the message cut into units (sentences, bullets, headings), each with its
section path, its branch scope and whether it sits in an example, a code block or a
transcript, and with quoted material blanked out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ..document import Branch, Document
from .actions import _confirms, _unattended
from .formats import FormatDemand, KeyMention, _bullet_key, _json_keys, _unit_formats
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

    @cached_property
    def formats(self) -> tuple[FormatDemand, ...]:
        """What the wording says of the reply's format, whatever the unit's modality: a JSON
        reply asked for ("respond with JSON"), JSON forbidden ("do not reply in JSON", "no
        JSON."), a text format asked for ("respond in plain text"), the first of each; the
        first "no Markdown"; then every Markdown construct asked for ("use headings",
        "include a table"). Scoped demands ("no Markdown in commit messages") are kept and
        marked. A prohibition's cue adds one more: see `Instruction.formats`."""
        return _unit_formats(self)

    @cached_property
    def json_keys(self) -> tuple[KeyMention, ...]:
        """Names the unit uses as keys of a JSON reply ("the `urgency` field", "key named
        "status"", "set `score` to …", `"score": 3`), quoted material included. A bullet
        that opens with a quoted name is `bullet_key`, not one of these."""
        return _json_keys(self)

    @cached_property
    def bullet_key(self) -> KeyMention | None:
        """The quoted name a bullet opens with (`- "answer": the reply`), which may be a key
        of the JSON reply; None for sentences and headings. `MessageModel.json_keys` decides."""
        return _bullet_key(self)

    @cached_property
    def confirms(self) -> bool:
        """The unit makes an action wait for the user or a person ("after the customer
        confirms", "ask before you refund", "only with their approval"); "without asking",
        "no need to confirm" and "never wait for approval" do not count."""
        return _confirms(self)

    @cached_property
    def unattended(self) -> bool:
        """The unit says to act by itself: "without asking", "without approval",
        "automatically", "on your own", "right away", "immediately"."""
        return _unattended(self)


# --- segmentation -------------------------------------------------------------------

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
