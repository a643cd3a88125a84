"""The instruction model of a message: sections, sentences and bullets, and for each the
directive it gives (modality, negation, action, object, quantities) and where it holds.

Rules read this model; none of them parses text itself. Example blocks, code, quoted
material and transcripts are marked, so rules can set them aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from .document import Branch, Document, exclusive

# --- vocabulary ---------------------------------------------------------------------

_PROHIBIT = [
    "under no circumstances", "must never", "should never", "must not", "mustn't", "should not",
    "shouldn't", "do not ever", "do not", "don't", "never", "avoid", "refrain from", "no need to",
    "not allowed to", "is not allowed", "are not allowed", "is forbidden", "are forbidden",
]
_REQUIRE = [
    "you must always", "must always", "you must", "must", "always", "make sure to", "make sure",
    "be sure to", "ensure that", "ensure", "you need to", "need to", "it is essential to",
    "it is important to", "is required", "are required", "required to", "you should", "should",
    "remember to", "only",
]
_CUES = sorted([(c, "prohibit") for c in _PROHIBIT] + [(c, "require") for c in _REQUIRE],
               key=lambda x: -len(x[0]))
_CUE_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c, _ in _CUES) + r")\b", re.I)
_CUE_KIND = {c: k for c, k in _CUES}

#: Common imperative verbs that open an instruction without a modal ("Use …", "Keep …").
IMPERATIVES = {
    "use", "keep", "write", "answer", "respond", "reply", "include", "add", "give", "list", "return",
    "output", "provide", "explain", "describe", "summarize", "summarise", "limit", "start", "begin",
    "end", "format", "mention", "ask", "call", "invoke", "send", "search", "cite", "greet", "address",
    "follow", "prefer", "put", "wrap", "show", "state", "refer", "offer", "tell", "say", "treat",
    "be", "make", "avoid", "stay", "stop", "create", "open", "delete", "remove", "check", "confirm",
    "recommend", "suggest", "apologize", "apologise", "escalate", "run", "print", "quote", "sign",
    "focus", "stick", "match", "translate", "pay", "refund", "transfer", "cancel", "post", "publish",
    "share", "reveal", "assume", "emphasize", "structure", "organize", "present", "produce",
}
_STOP_OBJECT = {
    "when", "if", "unless", "because", "while", "before", "after", "so", "and", "or", "but", "in", "on",
    "at", "for", "with", "without", "to", "from", "by", "as", "than", "that", "which", "who", "where",
    "even", "except", "instead", "until", "about", "into", "per", "of", "like",
}
_DETERMINERS = {"the", "a", "an", "any", "your", "their", "its", "our", "this", "that", "these", "those",
                "all", "every", "each", "some", "more", "most", "other", "own", "his", "her", "my"}

UNITS = {
    "word": "word", "words": "word", "sentence": "sentence", "sentences": "sentence",
    "item": "item", "items": "item", "bullet": "item", "bullets": "item", "bullet points": "item",
    "points": "item", "line": "line", "lines": "line", "paragraph": "paragraph",
    "paragraphs": "paragraph", "character": "character", "characters": "character",
    "chars": "character", "token": "token", "tokens": "token", "emoji": "emoji", "emojis": "emoji",
    "question": "question", "questions": "question", "example": "example", "examples": "example",
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "fifty": 50, "hundred": 100, "a single": 1, "single": 1}
_NUM = r"(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(" + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True)) + r")"
_QUANTITY_RE = re.compile(
    r"\b(?:(?P<op>under|below|fewer than|less than|no more than|not more than|at most|up to|maximum of|"
    r"a maximum of|max(?:imum)?|no longer than|within|at least|more than|over|minimum of|a minimum of|"
    r"no fewer than|no less than|exactly|precisely|between)\s+)?"
    r"(?P<n>" + _NUM[1:-1] + r")(?:\s*(?:-|to|and)\s*(?P<m>\d+))?\s+(?:\w+\s+)?(?P<unit>" + _UNIT[1:-1] + r")\b",
    re.I)

_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_OPEN_TAG_RE = re.compile(r"^\s*<([A-Za-z_][\w.-]*)(\s[^<>]*)?>\s*$")
_CLOSE_TAG_RE = re.compile(r"^\s*</([A-Za-z_][\w.-]*)>\s*$")
_INLINE_TAG_RE = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>.*?</\1>", re.S)
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_BULLET_RE = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s+")
_EXAMPLE_LEAD_RE = re.compile(r"^\s*(?:for example|for instance|e\.g\.|example(?:\s+\d+)?\s*:|examples?\s*:|"
                              r"sample(?: output| input| response)?\s*:|(?:user|assistant|human|ai|customer|agent|"
                              r"input|output|q|a)\s*:)", re.I)
_EXAMPLE_SECTION_RE = re.compile(r"\b(example|examples|sample|samples|demo|transcript|few[- ]shot|e\.g)\b", re.I)
_QUOTE_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|'(?=[^'\n]*[ ]\w)[^'\n]{3,}'(?!\w)")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(`*_\[0-9])|(?<=[.!?][\"”)])\s+(?=[A-Z])")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Quantity:
    bound: str  # "max" | "min" | "exact" | "range"
    low: int | None
    high: int | None
    unit: str
    start: int
    end: int
    text: str

    def interval(self) -> tuple[float, float]:
        lo = self.low if self.low is not None else 0
        hi = self.high if self.high is not None else float("inf")
        return lo, hi


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


@dataclass(frozen=True)
class Instruction:
    unit: Unit
    modality: str | None  # "require" | "prohibit" | None (a statement)
    cue: str | None  # the words that carry the modality ("never", "must", an imperative verb)
    action: str | None
    object: str | None
    quantities: tuple[Quantity, ...]
    shouting: int  # how many modal words are written in capitals (MUST, NEVER, ONLY)

    @property
    def start(self) -> int:
        return self.unit.start

    @property
    def end(self) -> int:
        return self.unit.end

    @property
    def text(self) -> str:
        return self.unit.text

    def words(self) -> list[str]:
        return [w.lower() for w in _WORD_RE.findall(self.unit.plain)]


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


@dataclass
class MessageModel:
    doc: Document
    units: list[Unit] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.doc.role

    def can_co_occur(self, a: Instruction | Unit, b: Instruction | Unit) -> bool:
        """Both render in one message: not in different branches of the same `if`."""
        ua = a.unit if isinstance(a, Instruction) else a
        ub = b.unit if isinstance(b, Instruction) else b
        return not exclusive(ua.scope, ub.scope)

    def directives(self) -> list[Instruction]:
        """Instructions outside examples, code and transcripts."""
        return [i for i in self.instructions if not i.unit.example]

    @cached_property
    def mentions(self) -> list[Mention]:
        """Names prose uses as tools or functions, outside examples and code blocks."""
        out: list[Mention] = []
        for u in self.units:
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

    @cached_property
    def lower_plain(self) -> str:
        return " ".join(u.plain.lower() for u in self.units if not u.example)


def build_model(doc: Document) -> MessageModel:
    model = MessageModel(doc)
    model.units = list(_units(doc))
    model.instructions = [_instruction(u) for u in model.units if u.kind != "heading"]
    return model


# --- segmentation -------------------------------------------------------------------

def _units(doc: Document):
    text = doc.text
    section: list[tuple[int, str]] = []  # (level, title); tags use level 100 + depth
    tags: list[str] = []
    in_fence = False
    example_lead_until = -1  # a line "Example:" marks what follows, until a blank line
    pos = 0
    for index, line in enumerate(text.split("\n")):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        if _FENCE_RE.match(line):
            in_fence = not in_fence
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
        for s, e in _sentences(text, body_start, end):
            yield _unit(doc, s, e, text[s:e], path, in_example, kind, index)
            kind = "sentence"


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


# --- directives ---------------------------------------------------------------------

def _instruction(unit: Unit) -> Instruction:
    plain = unit.plain
    shouting = sum(1 for w in re.findall(r"\b[A-Z]{3,}\b", plain) if w.lower() in
                   {"must", "never", "only", "always", "not", "important", "critical", "required", "exactly"})
    modality = cue = action = obj = None
    quantities = tuple(_quantities(unit))
    for q in quantities:  # "under 50 words" is a bound, not part of the object
        a, b = q.start - unit.start, q.end - unit.start
        plain = plain[:a] + " " * (b - a) + plain[b:]
    m = _CUE_RE.search(plain)
    if m and _cue_governs(plain, m):
        cue = m.group(1).lower()
        modality = _CUE_KIND[cue]
        rest = plain[m.end():]
        action, obj = _action_object(rest)
        if cue == "only":
            modality = "require"
    else:
        first = _WORD_RE.search(plain)
        if first and first.group(0).lower() in IMPERATIVES and first.start() <= 2:
            cue = first.group(0).lower()
            modality = "prohibit" if cue == "avoid" else "require"
            action, obj = _action_object(plain[first.start():])
    return Instruction(unit, modality, cue, action, obj, quantities, shouting)


def _cue_governs(plain: str, m: re.Match) -> bool:
    """A cue inside a subordinate clause ("if you must …") still counts; one preceded by
    "not only" or used as an adjective ("the only …") does not."""
    before = plain[: m.start()].lower().split()
    if m.group(1).lower() == "only" and before and before[-1] in ("the", "not", "an", "your", "its", "their"):
        return False
    return True


def _action_object(rest: str) -> tuple[str | None, str | None]:
    words = [w.lower().strip("'’") for w in _WORD_RE.findall(rest)]
    while words and words[0] in ("to", "you", "always", "ever", "also", "be", "sure", "that", "not", "please",
                                 "only", "just", "strictly", "simply", "clearly", "really", "then"):
        if words[0] == "be" and len(words) > 1 and words[1] not in ("sure",):
            break
        words = words[1:]
    if not words:
        return None, None
    action = _lemma(words[0])
    obj_words: list[str] = []
    for w in words[1:]:
        if w in _STOP_OBJECT:
            if obj_words:
                break
            continue
        if w in _DETERMINERS and not obj_words:
            continue
        obj_words.append(w)
        if len(obj_words) == 3:
            break
    return action, (" ".join(obj_words) or None)


def _lemma(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3 and word not in ("is", "was", "has", "does"):
        return word[:-1]
    return word


def _quantities(unit: Unit):
    for m in _QUANTITY_RE.finditer(unit.plain):
        n = _number(m.group("n"))
        if n is None:
            continue
        op = (m.group("op") or "").lower()
        unit_name = UNITS[m.group("unit").lower()]
        high_raw = m.group("m")
        if op == "between" or high_raw:
            bound, low, high = "range", n, int(high_raw) if high_raw else None
        elif op in ("under", "below", "fewer than", "less than"):
            bound, low, high = "max", None, n - 1
        elif op in ("no more than", "not more than", "at most", "up to", "maximum of", "a maximum of",
                    "max", "maximum", "no longer than", "within"):
            bound, low, high = "max", None, n
        elif op in ("at least", "minimum of", "a minimum of", "no fewer than", "no less than"):
            bound, low, high = "min", n, None
        elif op in ("more than", "over"):
            bound, low, high = "min", n + 1, None
        elif op in ("exactly", "precisely"):
            bound, low, high = "exact", n, n
        else:
            continue  # a bare number ("3 items") is a statement, not a bound
        yield Quantity(bound, low, high, unit_name, unit.start + m.start(), unit.start + m.end(), m.group(0))


def _number(text: str) -> int | None:
    text = text.lower()
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)
