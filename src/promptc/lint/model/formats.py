"""Formats: what a unit says about the format of the reply (JSON, plain text, prose,
Markdown, or one Markdown construct such as headings or tables), whether it asks for it or
forbids it, where the words that say so are, and whether it is limited to one kind of text
("no Markdown in commit messages"); and the names it uses as keys of a JSON reply ("set the
`urgency` field", `"score": 3`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .segments import memo

if TYPE_CHECKING:
    from .directives import Instruction
    from .segments import Unit

# --- vocabulary: what a sentence asks of the reply's format -------------------------

_MODS = r"(?:(?:a|an|one|the|single|valid|raw|pure|strict|well-formed|parseable|only|strictly|just)\s+)*"
#: "Return ONLY a JSON object", "Respond with valid JSON", "Your reply must be JSON".
_JSON_REPLY_RE = re.compile(
    r"\b(?:respond|reply|answer|return|output|produce|emit|format)\s+"
    r"(?:(?:only|strictly|exclusively|just|back|always|your\s+(?:answer|response|reply|output))\s+)*"
    r"(?:(?:with|in|as|using)\s+)?" + _MODS + r"JSON\b"
    r"|\b(?:reply|response|answer|output)\s+(?:must|should|will)\s+be\s+(?:in\s+)?" + _MODS + r"JSON\b", re.I)
#: "Do not respond in JSON", "no JSON." (but not "do not wrap the JSON", "no JSON comments").
_NO_JSON_RE = re.compile(
    r"\b(?:do not|don't|never|must not|should not)\s+(?:use|return|output|respond|reply|answer|write|produce|format)\w*"
    r"\s+(?:(?:with|in|as|using)\s+)?(?:any\s+|a\s+)?JSON\b(?!\s+(?:code|fences?|blocks?|comments?|keys?))"
    r"|\bno JSON\s*(?:[.,;)]|$)|\binstead of JSON\b|\bnot (?:as |in )?JSON\s*(?:[.,;)]|$)", re.I)
_TEXT_FORMATS = r"(?P<fmt>plain[- ]text|prose|plain english|natural language|markdown)"
#: "Respond in plain text", "Format replies in Markdown", "Write plain text", "Use Markdown".
_TEXT_REPLY_RE = re.compile(
    r"\b(?:respond|reply|answer|write|format)\w*\s+(?:(?:your|the|all|replies|responses|answers|output|"
    r"everything|only|always)\s+)*(?:in|as|with|using)\s+(?:(?:simple|clean|conversational|github-flavou?red)\s+)*"
    + _TEXT_FORMATS + r"\b"
    r"|\b(?:write|use|output|return)\s+(?:only\s+)?(?P<fmt2>plain[- ]text|markdown)(?:\s+formatting)?"
    r"\s*(?:only\b|[.,:;]|$)"
    r"|\b(?:reply|response|answer|output)\s+(?:must|should)\s+be\s+(?:written\s+)?(?:in\s+)?(?P<fmt3>plain[- ]text|"
    r"prose|markdown)\b", re.I)


def _elements(group: str) -> str:
    """Markdown constructs that plain text cannot show. Lists are not among them: "- item"
    reads the same in plain text."""
    return rf"(?P<{group}>headings?|headers?|tables?|bold(?:\s+text)?|code blocks?|links?)"


#: "No Markdown", "without Markdown formatting", "avoid Markdown".
_NO_MARKDOWN_RE = re.compile(r"\b(?:no|without|avoid(?:ing)?)\s+(?:any\s+)?markdown(?:\s+(?:formatting|syntax|markup))?"
                             r"\b(?!\s+(?:links?|headings?|headers?|tables?|code|bold|italics?|lists?|bullets?))", re.I)
#: After a prohibition cue: "use Markdown", "use Markdown headings", "add tables", "Markdown".
_AFTER_NO_RE = re.compile(r"^\s*(?:ever\s+)?(?:(?:use|using|write|writing|include|including|add|adding|apply|output|"
                          r"return|format\w*)\s+|(?=markdown))(?:(?:any|markdown|section|bold)\s+)*"
                          r"(?:(?P<md>markdown)\b(?:\s+(?:formatting|syntax))?(?:\s+" + _elements("el") + r")?|"
                          + _elements("el2") + r"\b)", re.I)
#: After a requirement: "use Markdown", "use headings", "include a table".
_REQUIRE_ELEMENT_RE = re.compile(
    r"\b(?:use|add|include)\s+(?:(?:a|an|clear|short|section|markdown|descriptive|simple)\s+)*"
    + _elements("el") + r"\b"
    r"|\b(?:use|format\w*|write|respond|reply|answer)\b[^.;]{0,30}?\b(?P<md>markdown)\b(?!\s+(?:links?|headings?|"
    r"headers?|tables?|code|bold|lists?|bullets?))", re.I)
#: Places that stand for the reply as a whole: "no Markdown in your replies" is not scoped.
_GENERIC_PLACES = {"your", "the", "all", "any", "each", "every", "a", "response", "responses", "reply", "replies",
                   "answer", "answers", "output", "message", "messages", "text", "chat", "this", "general"}
_SCOPE_RE = re.compile(r"^[^.;]{0,25}?\b(?:in|for|inside|within)\s+(\w+)(?:\s+(\w+))?", re.I)
_JSON_WORD_RE = re.compile(r"\bjson\b", re.I)

# --- vocabulary: prose that names a key of the JSON reply ----------------------------

_Q = r"[`\"“‘']"
_NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
_KEY_RES = [
    re.compile(r"\b(?:the|a|an|each|every|its|top-level|nested)\s+" + _Q + _NAME + _Q +
               r"\s+(?:field|key|property|attribute)s?\b", re.I),
    re.compile(r"\b(?:field|key|property|attribute)\s+(?:named\s+|called\s+)?" + _Q + _NAME + _Q, re.I),
    re.compile(r"\b(?:set|fill(?:\s+in)?|populate)\s+(?:the\s+)?" + _Q + _NAME + _Q + r"\s+(?:to|as|with)\b", re.I),
    re.compile(_Q + _NAME + _Q + r"\s*:\s*(?:true|false|null|-?\d|\"|\[|\{)"),
]
_BULLET_KEY_RE = re.compile(r"^\s*" + _Q + _NAME + _Q + r"\s*(?::|—|–| - )")

#: The formats a reply as a whole can be asked for or forbidden in (`FormatDemand.whole`).
REPLY_FORMATS = ("json", "plain text", "prose", "plain english", "natural language", "markdown")
#: Markdown as such, and the constructs of it plain text cannot show.
MARKDOWN_ELEMENTS = ("markdown", "heading", "table", "bold", "code block", "link")


@dataclass(frozen=True)
class FormatDemand:
    """What a unit says about the reply's format.

    `whole` demands are about the format of the reply as a whole: "respond with JSON"
    (`format` "json"), "do not respond in JSON", "respond in plain text" (`format` one of
    `REPLY_FORMATS`, normalised: "plain text", "prose", "plain english", "natural
    language", "markdown"). The others are about Markdown within the reply: "no Markdown",
    "never use Markdown headings", "include a table" (`format` one of `MARKDOWN_ELEMENTS`).
    `polarity` is what the words themselves say ("require" or "forbid"); whether the unit
    is a directive at all is its instruction's modality. `start` and `end` are document
    offsets of the words that say so (for a ban read after a prohibition cue, `start` is
    the cue's). `scoped` marks a demand limited to one kind of text ("no Markdown in commit
    messages", "use headings for the report")."""

    unit: Unit
    format: str
    polarity: str  # "require" | "forbid"
    whole: bool
    start: int
    end: int
    scoped: bool


@dataclass(frozen=True)
class KeyMention:
    """A name prose uses as a key of the JSON reply: "the `urgency` field", "set `score`
    to …", `"score": 3` (`form` "phrase"), or a bullet opening with a quoted name and a
    colon or dash (`form` "bullet"). Offsets are those of the name in the document."""

    name: str
    start: int
    end: int
    form: str  # "phrase" | "bullet"
    unit: Unit


# --- formats ------------------------------------------------------------------------

@memo
def unit_formats(unit: Unit) -> tuple[FormatDemand, ...]:
    """The unit's format demands in a fixed order: a JSON reply asked for, JSON forbidden, a
    text format asked for (the first wording of each), the first "no Markdown", then every
    Markdown construct asked for."""
    plain, at = unit.plain, unit.start
    out: list[FormatDemand] = []
    m = _JSON_REPLY_RE.search(plain)
    if m:
        out.append(FormatDemand(unit, "json", "require", True, at + m.start(), at + m.end(), False))
    m = _NO_JSON_RE.search(plain)
    if m:
        out.append(FormatDemand(unit, "json", "forbid", True, at + m.start(), at + m.end(), False))
    m = _TEXT_REPLY_RE.search(plain)
    if m:
        fmt = (m.group("fmt") or m.group("fmt2") or m.group("fmt3")).lower().replace("-", " ")
        out.append(FormatDemand(unit, fmt, "require", True, at + m.start(), at + m.end(), False))
    m = _NO_MARKDOWN_RE.search(plain)
    if m:
        out.append(FormatDemand(unit, "markdown", "forbid", False, at + m.start(), at + m.end(),
                                _scoped(plain, m.end())))
    for m in _REQUIRE_ELEMENT_RE.finditer(plain):
        fmt = "markdown" if m.group("md") else _norm(m.group("el"))
        out.append(FormatDemand(unit, fmt, "require", False, at + m.start(), at + m.end(), _scoped(plain, m.end())))
    return tuple(out)


@memo
def instruction_formats(ins: Instruction) -> tuple[FormatDemand, ...]:
    """The unit's demands, and for a prohibition what its cue forbids: "never use Markdown
    headings", "do not add tables", "don't ever use Markdown"."""
    out = unit_formats(ins.unit)
    if ins.modality != "prohibit" or not ins.cue:
        return out
    plain = ins.unit.plain
    at = re.search(r"\b" + re.escape(ins.cue) + r"\b", plain, re.I)
    after = _AFTER_NO_RE.match(plain[at.end():]) if at else None
    if not after:
        return out
    end = at.end() + after.end()
    element = after.group("el") or after.group("el2")
    return out + (FormatDemand(ins.unit, _norm(element) if element else "markdown", "forbid", False,
                               ins.unit.start + at.start(), ins.unit.start + end, _scoped(plain, end)),)


def _scoped(plain: str, end: int) -> bool:
    """"no Markdown in commit messages": the format word is limited to one kind of text."""
    m = _SCOPE_RE.match(plain[end:])
    return bool(m and m.group(1).lower() not in _GENERIC_PLACES)


def _norm(element: str) -> str:
    """One name per construct: "Headers" → "heading", "code blocks" → "code block"."""
    e = element.lower().split()[0].rstrip("s")
    return {"header": "heading", "code": "code block"}.get(e, e)


# --- JSON keys ----------------------------------------------------------------------

@memo
def json_keys(unit: Unit) -> tuple[KeyMention, ...]:
    out = []
    for regex in _KEY_RES:
        for m in regex.finditer(unit.text):
            out.append(KeyMention(m.group("name"), unit.start + m.start("name"), unit.start + m.end("name"),
                                  "phrase", unit))
    return tuple(out)


@memo
def bullet_key(unit: Unit) -> KeyMention | None:
    if unit.kind != "bullet":
        return None
    m = _BULLET_KEY_RE.match(unit.text)
    return KeyMention(m.group("name"), unit.start + m.start("name"), unit.start + m.end("name"), "bullet",
                      unit) if m else None


def _mentions_json(text: str) -> bool:
    return bool(_JSON_WORD_RE.search(text))


def _quotes(text: str, name: str) -> bool:
    return bool(re.search(_Q + re.escape(name) + _Q, text))
