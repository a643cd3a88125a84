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
_CAPS_RUN_RE = re.compile(r"\b[A-Z]{2,}(?:[\s*_]+[A-Z]{2,})*\b")
_MODAL_WORDS = {"must", "never", "only", "always", "not", "exactly", "required", "don"}
_NEGATOR_AFTER_CUE_RE = re.compile(r"\s*(not|never|avoid|refrain from)\b", re.I)
_LABEL_RE = re.compile(r"^\W*(?:very\s+)?(?:important|note|critical|crucial|reminder|warning|rule)\s*:\s*", re.I)
#: Words that carry no content when comparing what two directives ask for.
_FILLER = {"to", "you", "always", "ever", "also", "please", "just", "really", "strictly", "simply", "sure", "then",
           "important", "very", "a", "an", "the", "any", "your", "all", "every", "each", "our", "their", "its"}
#: Nouns that stand for the reply as a whole: "keep responses short", "answer in under 50 words".
GENERIC_TARGETS = {"response", "answer", "reply", "output", "message", "it", "length", "everything", "text", "you",
                   "manner", "way", "fashion"}
#: A condition or an exception: the directive holds only sometimes.
_CONDITION_RE = re.compile(
    r"\b(?:if|when|whenever|unless|except|until|in case|as long as|provided that|otherwise|where (?:possible|"
    r"appropriate|relevant|applicable|needed)|without\s+(?:[\w'’]+\s+){0,3}?(?:asking|being asked|requesting|"
    r"request|prompting|explicit))\b|^\W*(?:for|during|while|on|in)\s+(?:[\w'’/-]+\s+){0,5}?[\w'’/-]+\s*[,:]",
    re.I)
#: What to do when a rigid prescription cannot be met: "otherwise", "if there are fewer", "or fewer".
_FALLBACK_RE = re.compile(
    r"\b(?:otherwise|unless|instead|fall ?back|if (?:there (?:are|is)|you (?:have|find|can(?:not|'t)?|are unable|"
    r"do not|don't)|not|that|this|fewer|less|none|no|needed|necessary|possible|applicable|unsure|in doubt)|"
    r"or (?:fewer|less|more)|(?:when|where) (?:possible|applicable)|as (?:many|few) as)\b", re.I)
#: Section titles about the reply in general (tone, format, rules), not about one situation.
_GENERAL_SECTIONS = {
    "tone", "style", "styles", "voice", "format", "formatting", "guideline", "guidelines", "rule", "rules",
    "general", "instruction", "instructions", "behavior", "behaviour", "persona", "personality", "identity",
    "communication", "communicating", "response", "responses", "responding", "output", "constraint", "constraints",
    "core", "important", "requirement", "requirements", "quality", "writing", "language", "system", "role",
    "policy", "policies", "overview", "principle", "principles", "conduct", "etiquette", "answer", "answers",
    "reply", "replies", "length", "verbosity", "brevity", "safety", "context", "about", "you", "your",
    "assistant", "notes", "guidance", "preferences", "standards", "expectations", "approach", "dos", "donts",
    "basics", "key", "main", "always", "never", "must", "do", "don't", "tools", "tool", "usage",
}
_SITUATION_TITLE_RE = re.compile(r"^\W*(?:if|when|whenever|for|during|while|on|in case|unless|after|before)\b", re.I)


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
class Limit:
    """A numeric bound and what it bounds: `target` None is the reply as a whole; `part`
    marks a bound on each of several parts ("each bullet under 20 words")."""

    quantity: Quantity
    target: str | None
    part: bool

    def contradicts(self, other: Limit) -> bool:
        """No length satisfies both: disjoint bounds on one target, or a part required to be
        longer than the whole may be."""
        a, b = self.quantity, other.quantity
        if a.unit != b.unit:
            return False
        (alo, ahi), (blo, bhi) = a.interval(), b.interval()
        if self.target == other.target and self.part == other.part:
            return ahi < blo or bhi < alo
        if self.target is None and not self.part:
            return blo > ahi
        if other.target is None and not other.part:
            return alo > bhi
        return False


_LENGTH_STRENGTH = {
    **dict.fromkeys(("brief", "short", "shorter", "terse", "tersely", "as short as possible", "as brief as possible",
                     "brevity", "long", "lengthy", "verbose", "verbosely", "elaborate", "elaborately", "at length",
                     "long-form", "exhaustive", "exhaustively", "extensive", "in depth", "in-depth", "verbosity",
                     "wordiness", "in great detail", "in full detail"), 2),
    **dict.fromkeys(("comprehensive", "comprehensively"), 0),
}

#: Registers that cannot hold together with a formal one.
_RELAXED = {"casual", "playful", "humour", "emoji"}


@dataclass(frozen=True)
class Stance:
    """A position a sentence takes on the register ("formal", "casual", "playful",
    "humour", "emoji") or the length ("brief", "long") of the reply. `negated` is a
    prohibition ("no emojis", "not too casual", "without elaboration"); `target` is what it is
    about, None for the reply as a whole."""

    axis: str  # "register" | "length"
    value: str
    negated: bool
    target: str | None
    start: int
    end: int
    text: str

    @property
    def effective(self) -> str:
        """The length asked for once a negation is applied ("avoid verbosity" asks for brevity)."""
        if self.axis == "length" and self.negated:
            return "long" if self.value == "brief" else "brief"
        return self.value

    @property
    def strength(self) -> int:
        """How hard a length stance pulls: 2 for length itself ("brief", "short", "lengthy",
        "elaborate", "in depth"), 1 for economy or detail ("concise", "to the point",
        "detailed", "in detail"), 0 for coverage ("comprehensive") and for prohibitions
        ("without elaboration", "never give short answers"). Two stances clash only when
        their strengths add up to 2: "be concise" and "be detailed" do; "concise" and
        "comprehensive" do not, since coverage and economy of words go together."""
        if self.negated:
            return 0
        return _LENGTH_STRENGTH.get(" ".join(self.text.lower().split()), 1)

    def clashes(self, other: Stance) -> bool:
        """Both cannot be followed at once. "Professional" and "friendly" are not registers
        here: they go together. Formal clashes with casual, playful, humour and emojis; a
        prohibition clashes with a request for the same thing; "no jokes" also with "playful"."""
        if self.axis != other.axis or self.target != other.target:
            return False
        if self.axis == "length":
            return self.effective != other.effective and self.strength + other.strength >= 2
        if self.value == other.value:
            return self.negated != other.negated
        pair = {(self.value, self.negated), (other.value, other.negated)}
        if ("formal", False) in pair:
            return any(v in _RELAXED and not n for v, n in pair)
        return pair == {("humour", True), ("playful", False)}


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


@dataclass(frozen=True)
class Instruction:
    unit: Unit
    modality: str | None  # "require" | "prohibit" | None (a statement)
    cue: str | None  # the words that carry the modality ("never", "must", an imperative verb)
    action: str | None
    object: str | None
    quantities: tuple[Quantity, ...]
    shouting: int  # how many modal words are written in capitals (MUST, NEVER, ONLY)
    #: Stemmed content words before the cue ("tools" in "tools must never …"), and of what is
    #: asked or forbidden after it, without fillers: two directives with equal subject and
    #: predicate ask for the same thing ("Always cite sources." / "Never cite the sources.").
    subject: tuple[str, ...] = ()
    predicate: tuple[str, ...] = ()

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

    @cached_property
    def shouted_modals(self) -> int:
        """How many separate stretches of capitals carry a modal word: "You MUST NOT" and
        "MUST START WITH EXACTLY" count once, "NEVER … and ALWAYS …" twice; a label such as
        "IMPORTANT:" does not count."""
        return sum(1 for run in _CAPS_RUN_RE.findall(self.unit.plain)
                   if any(w.lower() in _MODAL_WORDS for w in run.split()))

    @cached_property
    def stances(self) -> tuple[Stance, ...]:
        """What the sentence says about the register and the length of the reply, outside
        quoted text: "Be formal", "never use emojis", "keep answers short", "in detail"."""
        return _stances(self)

    @cached_property
    def limits(self) -> tuple[Limit, ...]:
        """Each bound of `quantities` with the thing it bounds."""
        return tuple(_limit(self.unit, q) for q in self.quantities)


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

    def condition(self, x: Instruction | Unit) -> str | None:
        """The condition under which a sentence holds: its own ("If asked, …"), or that of the
        lead line of its paragraph or list ("If the order is late:" and the bullets below)."""
        u = x.unit if isinstance(x, Instruction) else x
        if u.condition:
            return u.condition
        lead = self._leads.get(id(u))
        return lead.condition if lead else None

    def always_together(self, a: Instruction | Unit, b: Instruction | Unit) -> bool:
        """Both apply to every reply at once: they can co-occur, neither holds only under a
        condition, and both sit in the same situation (general sections count as one). A
        directive for one situation ("## Emails") refines the general ones; it does not
        contradict them."""
        ua = a.unit if isinstance(a, Instruction) else a
        ub = b.unit if isinstance(b, Instruction) else b
        return (self.can_co_occur(ua, ub) and ua.situation == ub.situation
                and not self.condition(ua) and not self.condition(ub))

    def fallback(self, x: Instruction | Unit) -> Unit | None:
        """The sentence that says what to do when `x` cannot be followed ("otherwise …", "if
        there are fewer …"): `x` itself or the next sentence of its paragraph or list."""
        u = x.unit if isinstance(x, Instruction) else x
        nxt = self._next.get(id(u))
        for cand in (u, nxt):
            if cand is not None and _FALLBACK_RE.search(cand.plain):
                return cand
        return None

    @cached_property
    def _blocks(self) -> list[list[Unit]]:
        """Units grouped in paragraphs and lists: a blank line or a heading ends a block."""
        lines = self.doc.text.split("\n")
        blocks: list[list[Unit]] = []
        prev: Unit | None = None
        for u in self.units:
            gap = prev is None or any(not lines[k].strip() for k in range(prev.line + 1, u.line))
            if gap or u.kind == "heading" or prev.kind == "heading":
                blocks.append([])
            blocks[-1].append(u)
            prev = u
        return blocks

    @cached_property
    def _next(self) -> dict[int, Unit]:
        return {id(a): b for block in self._blocks for a, b in zip(block, block[1:])}

    @cached_property
    def _leads(self) -> dict[int, Unit]:
        """For each unit, the conditional lead line ("If intent is unclear:") it follows."""
        out: dict[int, Unit] = {}
        for block in self._blocks:
            lead: Unit | None = None
            for u in block:
                if u.text.rstrip().endswith(":"):
                    lead = u if u.condition else None
                elif lead is not None:
                    out[id(u)] = lead
        return out

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
    subject: tuple[str, ...] = ()
    asked_from = None
    quantities = tuple(_quantities(unit))
    for q in quantities:  # "under 50 words" is a bound, not part of the object
        a, b = q.start - unit.start, q.end - unit.start
        plain = plain[:a] + " " * (b - a) + plain[b:]
    m = _CUE_RE.search(plain)
    if m and _cue_governs(plain, m):
        cue = m.group(1).lower()
        modality = _CUE_KIND[cue]
        asked_from = m.end()
        negator = _NEGATOR_AFTER_CUE_RE.match(plain, m.end()) if modality == "require" else None
        if negator:  # "you must NEVER …", "you should not …", "always avoid …"
            cue, modality, asked_from = plain[m.start(1):negator.end()].lower(), "prohibit", negator.end()
        action, obj = _action_object(plain[asked_from:])
        subject = _key(plain[:m.start()])
        if cue == "only":
            modality = "require"
    else:
        label = _LABEL_RE.match(plain)  # "IMPORTANT: Keep …" is an imperative behind a label
        first = _WORD_RE.search(plain, label.end() if label else 0)
        if first and first.group(0).lower() in IMPERATIVES and first.start() <= (label.end() if label else 0) + 2:
            cue = first.group(0).lower()
            modality = "prohibit" if cue == "avoid" else "require"
            action, obj = _action_object(plain[first.start():])
            asked_from = first.end() if cue == "avoid" else first.start()
    predicate = _key(plain[asked_from:]) if asked_from is not None else ()
    return Instruction(unit, modality, cue, action, obj, quantities, shouting, subject, predicate)


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


# --- comparing directives -----------------------------------------------------------

def _key(text: str) -> tuple[str, ...]:
    """Stemmed content words; a trailing "in your responses" is dropped, since it names the
    reply as a whole."""
    words = [_stem(w) for w in (w.lower().strip("'’") for w in _WORD_RE.findall(text)) if w not in _FILLER]
    for i in range(len(words) - 2, -1, -1):
        if words[i] in ("in", "for", "within", "across", "throughout", "when") and \
                all(w in _GENERIC_STEMS or w == "of" for w in words[i + 1:]):
            return tuple(words[:i])
    return tuple(words)


def _stem(word: str) -> str:
    """A crude stem, enough to equate "using"/"uses"/"use" and "citing"/"cites"/"cite"."""
    w = word.lower()
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 2 and re.search(r"[aeiouy]", w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "dlsfz":
                w = w[:-1]
            break
    else:
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith(("ches", "shes")) or (w.endswith("es") and len(w) > 3 and w[-3] in "sxz"):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "sis")) and len(w) > 3:
            w = w[:-1]
    if w.endswith("e") and len(w) > 2:
        w = w[:-1]
    return w


_GENERIC_STEMS = {_stem(w) for w in ("response", "responses", "answer", "answers", "reply", "replies", "output",
                                     "message", "messages", "communication", "conversation", "chat", "responding",
                                     "replying", "answering", "writing")}


# --- limits -------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*|[.;!?:,()—–]")
_CLAUSE_BREAK = {".", ";", "!", "?", ":", "(", ")", "—", "–"}
_LIMIT_SKIP = _DETERMINERS | _FILLER | IMPERATIVES | {
    "be", "is", "are", "should", "must", "can", "will", "may", "in", "with", "of", "for", "no", "not", "never",
    "only", "contain", "contains", "have", "has", "than", "limit", "stay", "remain", "that", "which", "at",
    "most", "least", "keep", "it's", "always", "shall", "need", "needs", "into", "using", "use", "written",
    "detail", "depth",  # "explain it in detail, in at least 200 words"
} | _STOP_OBJECT
_PART_WORDS = {"each", "every", "per"}


def _limit(unit: Unit, q: Quantity) -> Limit:
    """The bounded thing: "each bullet under 20 words" (a part), "the title under 60
    characters", "keep responses under 50 words" (the reply as a whole)."""
    tokens = [(m.group(0).lower(), m.start()) for m in _TOKEN_RE.finditer(unit.plain)]
    qs, qe = q.start - unit.start, q.end - unit.start
    before = [t for t, at in tokens if at < qs]
    after = [t for t, at in tokens if at >= qe]
    cut = max((i for i, t in enumerate(before) if t in _CLAUSE_BREAK), default=-1)
    before = [t for t in before[cut + 1:] if t != ","]
    after = after[: next((i for i, t in enumerate(after) if t in _CLAUSE_BREAK or t == ","), len(after))]
    per = after[:1] in (["per"], ["each"], ["every"])  # "… per section", "… for each item"
    if per or (after[:1] in (["for"], ["in"]) and len(after) > 1 and after[1] in _PART_WORDS):
        rest = after[1:] if per else after[2:]
        return Limit(q, _phrase(rest[:3]), True)
    if after and after[0] in ("for", "in"):
        named = _phrase(after[1:4])
        if named is not None:
            return Limit(q, named, False)
    words = [t for t in before if t not in _LIMIT_SKIP and not t.endswith(("ly", "ing"))]
    if not words:
        return Limit(q, None, False)
    head_at = max(i for i, t in enumerate(before) if t == words[-1])
    part = any(t in _PART_WORDS for t in before[max(0, head_at - 2): head_at])
    mod = before[head_at - 1] if head_at and before[head_at - 1] not in _LIMIT_SKIP | _PART_WORDS else None
    return Limit(q, _target(mod, words[-1]), part)


def _phrase(words: list[str]) -> str | None:
    """The head noun of a short noun phrase, with one modifier: "the commit messages" → "commit message"."""
    content = []
    for w in words:
        if w in _STOP_OBJECT and content:
            break
        if w not in _DETERMINERS and w not in _STOP_OBJECT:
            content.append(w)
    if not content:
        return None
    return _target(content[-2] if len(content) > 1 else None, content[-1])


def _target(modifier: str | None, head: str) -> str | None:
    head = _lemma(head.lower())
    if head in GENERIC_TARGETS and modifier in (None, "final", "overall", "whole", "entire", "chat"):
        return None
    return f"{modifier} {head}" if modifier else head


# --- register and length ------------------------------------------------------------

#: word → (axis, value, form). An "adj" counts after a predicate ("be casual", "keep it
#: short", "Tone: formal") or before a noun ("a casual tone", "concise answers"); an "attr"
#: only before a noun naming the reply ("long answers"); an "adv" needs a verb ("respond
#: formally"); a "noun" needs a directive ("use emojis", "no jokes", "prefer brevity").
_STYLE_WORDS: dict[str, tuple[str, str, str]] = {
    "formal": ("register", "formal", "adj"), "formally": ("register", "formal", "adv"),
    "slang": ("register", "casual", "noun"),
    **{w: ("register", "casual", "adj") for w in ("casual", "informal", "chatty", "colloquial", "laid-back")},
    **{w: ("register", "casual", "adv") for w in ("casually", "informally")},
    **{w: ("register", "playful", "adj") for w in ("playful", "whimsical", "cheeky", "lighthearted", "light-hearted",
                                                  "silly", "goofy")},
    "playfully": ("register", "playful", "adv"), "humorously": ("register", "humour", "adv"),
    **{w: ("register", "humour", "adj") for w in ("humorous", "funny", "witty")},
    **{w: ("register", "humour", "noun") for w in ("humor", "humour", "joke", "jokes", "joking", "pun", "puns",
                                                  "wordplay")},
    **{w: ("register", "emoji", "noun") for w in ("emoji", "emojis", "emoticon", "emoticons")},
    **{w: ("length", "brief", "adj") for w in ("concise", "brief", "succinct", "terse", "short", "shorter")},
    **{w: ("length", "brief", "adv") for w in ("concisely", "briefly", "succinctly", "tersely")},
    **{w: ("length", "brief", "noun") for w in ("brevity", "conciseness", "concision")},
    **{w: ("length", "long", "adj") for w in ("detailed", "comprehensive", "exhaustive", "elaborate", "lengthy",
                                             "verbose", "extensive", "in-depth", "long-form")},
    "long": ("length", "long", "attr"),
    **{w: ("length", "long", "adv") for w in ("comprehensively", "exhaustively", "verbosely", "elaborately")},
    **{w: ("length", "long", "noun") for w in ("elaboration", "verbosity", "wordiness")},
}
_STYLE_PHRASE_RE = re.compile(
    r"\b(?:(?P<formal>(?:strictly|purely|completely|entirely)\s+(?:professional|business(?:like)?)|businesslike)"
    r"|(?P<long>in\s+(?:great\s+|full\s+|more\s+|much\s+)?detail|in\s+depth|at\s+length)"
    r"|(?P<brief>to\s+the\s+point|as\s+(?:short|brief|concise)\s+as\s+possible))\b", re.I)
_TONE_NOUNS = {"tone", "tones", "register", "style", "voice", "language", "manner", "wording", "english", "writing",
               "prose", "vibe", "demeanor", "demeanour", "persona", "attitude", "way", "fashion", "phrasing",
               "greeting", "greetings", "sign-off", "conversation", "personality", "communication"}
_COPULAS = {"be", "being", "stay", "remain", "sound", "seem", "act", "is", "are", "become", "appear"}
_KEEPS = {"keep", "keeping", "make", "making"}
_LIST_WORDS = {"and", "or", "but", "yet", "not", "too", "very", "more", "less", "still", "fairly", "quite", "a", "bit",
               "extremely", "highly", "always", "both", "also", "overly", "super", "reasonably", "somewhat",
               "friendly", "warm", "polite", "kind", "clear", "direct", "helpful", "respectful", "courteous",
               "approachable", "professional", "engaging", "conversational", "relaxed", "simple", "calm", "neutral",
               "objective", "serious", "upbeat", "positive", "enthusiastic", "empathetic", "natural", "personable",
               "fun", "specific", "accurate", "precise", "focused", "factual", "informative", "useful", "actionable",
               "relevant", "complete", "correct", "honest", "readable", "structured", "organized", "crisp", "tight",
               "sharp", "accessible", "supportive", "patient", "encouraging", "confident", "human", "genuine",
               "impersonal", "easy", "plain", "light", "technical", "thoughtful", "clean", "consistent", "thorough",
               "thoroughly", "completely", "clearly"}
_COMM_VERBS = {"respond", "reply", "answer", "write", "speak", "talk", "communicate", "chat", "address", "greet",
               "phrase", "word", "say", "tell", "explain", "describe", "summarize", "summarise", "sign"}
_REPLY_VERBS = {"respond", "reply", "answer", "write", "speak", "talk", "communicate", "chat"}
_NEGATORS = {"no", "not", "never", "avoid", "avoiding", "without", "refrain", "nor", "zero", "minimize", "minimise",
             "less", "neither", "stop", "cannot"}
_NEGATED_AFTER = {"not", "never", "forbidden", "prohibited", "banned", "disallowed"}
_CONTRAST = {"but", "yet", "however", "though", "although", "while", "whereas", "so"}
#: "use emojis sparingly", "keep jokes to a minimum": neither a request nor a prohibition.
_HEDGES = {"sparingly", "minimum", "minimal", "minimally", "rarely", "seldom", "moderation", "moderately"}
_PERMISSION_RE = re.compile(r"\b(?:feel free|you may|you can|allowed|encouraged|welcome|okay to|ok to|fine to|"
                            r"sprinkle)\b", re.I)


def _stances(ins: Instruction) -> tuple[Stance, ...]:
    unit = ins.unit
    toks = [(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(unit.plain)]
    words = [t for t, _, _ in toks]
    directive = ins.modality is not None or bool(_PERMISSION_RE.search(unit.plain))
    terms: list[tuple[int, int, str, str, str, bool]] = []  # (first, after-last token, axis, value, form, free)
    for i, w in enumerate(words):
        free = w.endswith("-free")
        entry = _STYLE_WORDS.get(w[:-5] if free else w)
        if entry and w in ("short", "brief") and i and words[i - 1] in ("in", "for"):
            continue  # "in short", "in brief"
        if entry:
            form = entry[2]
            if w == "elaborate" and (i == 0 or words[i - 1] in ("to", "not", "never", "please", "always", "must",
                                                                 "should", "don't", "or", "and")):
                form = "verb"  # "Elaborate on …", "do not elaborate"
            terms.append((i, i + 1, entry[0], entry[1], form, free))
    for m in _STYLE_PHRASE_RE.finditer(unit.plain):
        first = next(i for i, (_, s, e) in enumerate(toks) if e > m.start())
        last = max(i for i, (_, s, _) in enumerate(toks) if s < m.end())
        kind = m.lastgroup
        axis, value = ("register", "formal") if kind == "formal" else ("length", kind)
        terms.append((first, last + 1, axis, value, "adj" if kind != "long" else "adv", False))
    found: list[Stance] = []
    raw: list[tuple[str, str, bool, str]] = []
    for i, j, axis, value, form, free in terms:
        s, e = toks[i][1], toks[j - 1][2]
        if _hedged(words, i, j) or any(q.start <= unit.start + s < q.end for q in ins.quantities):
            continue  # "use emojis sparingly", "never more than one emoji": a limit, not a stance
        negated = free or _negated(words, i, j, form)
        raw.append((axis, value, negated, unit.text[s:e]))
        target = _style_target(words, i, j, axis, form, directive or negated)
        if target is _NO_TARGET:
            continue
        if negated and target is None:
            target = _scope_after(words, j)
        found.append(Stance(axis, value, negated, target, unit.start + s, unit.start + e, unit.text[s:e]))
    # "concise yet comprehensive", "formal but playful": a deliberate blend, not two directives.
    return tuple(a for a in found if not any(
        a.clashes(Stance(axis, value, negated, a.target, 0, 0, text)) for axis, value, negated, text in raw))


_NO_TARGET = object()


def _style_target(words: list[str], i: int, j: int, axis: str, form: str, directive: bool):
    """What a style word is about (None for the reply as a whole), or _NO_TARGET when the
    word is not used as a directive about style here ("a formal spec", "short-circuit")."""
    after = _qualifier_after(words, j)
    if form in ("adj", "attr"):
        pred = _predicate(words, i)
        if pred is not _NO_TARGET and form == "adj":
            return after if after is not _NO_TARGET and pred is None else _style_noun(axis, pred)
        noun = _noun_after(words, j)
        if noun is _NO_TARGET or not directive:
            return _NO_TARGET
        if axis == "register":
            return None if noun in _TONE_NOUNS else _NO_TARGET
        if form == "attr":
            return None if _target(None, noun) is None else _NO_TARGET
        return _target(*_split(noun))
    if form == "adv":
        verb = _verb_near(words, i, j)
        if verb is None:
            return _NO_TARGET
        if axis == "register":
            return None if verb in _COMM_VERBS else _NO_TARGET
        return None if verb in _REPLY_VERBS else verb
    if not directive:
        return _NO_TARGET
    return None if after is _NO_TARGET else after  # a noun or "elaborate"


def _predicate(words: list[str], i: int):
    """The subject a style word is predicated of: "be casual" (None), "Tone: formal" (None),
    "keep your answers short" ("answer" → None), "the summary should be brief" ("summary")."""
    k, items = i - 1, 0
    while k >= 0:
        w = words[k]
        listed = w in _LIST_WORDS or w in _STYLE_WORDS or w in (",", "—", "–", "never")
        if listed or (len(w) > 3 and w.endswith("ly")):
            k -= 1
        elif items < 3 and k + 1 < i and words[k + 1] in (",", "and", "or") and w not in _COPULAS | _KEEPS:
            k, items = k - 1, items + 1  # another item of the list: "snappy, friendly, and casual"
        else:
            break
    if k < 0:
        return _NO_TARGET
    if words[k] in _COPULAS and not (k and words[k - 1] in ("as", "how")):
        return _subject(words, k)
    if words[k] == ":" and k and words[k - 1] in _TONE_NOUNS | {"length"}:
        return None
    obj = []
    while k >= 0 and words[k] not in _KEEPS and words[k] not in _CLAUSE_BREAK and len(obj) < 3:
        obj.insert(0, words[k])
        k -= 1
    if k >= 0 and words[k] in _KEEPS and obj:
        return _phrase(obj)
    return _NO_TARGET


def _subject(words: list[str], k: int) -> str | None:
    k -= 1
    while k >= 0 and words[k] in ("should", "must", "will", "can", "always", "to", "need", "needs", "shall", "not",
                                  "never", "also", "ought", "please", "you"):
        if words[k] == "you":
            return None
        k -= 1
    if k < 0 or words[k] in _CLAUSE_BREAK or words[k] in IMPERATIVES or words[k] in _CONTRAST | {"and", "or", ","}:
        return None
    if words[k] in _DETERMINERS or words[k] in ("it", "things", "everything", "i", "we"):
        return None
    mod = words[k - 1] if k and words[k - 1] not in _DETERMINERS | _CLAUSE_BREAK | {","} else None
    return _target(mod, words[k])


def _noun_after(words: list[str], j: int):
    k = j
    while k < len(words) and (words[k] in _LIST_WORDS or words[k] == "," or words[k] in _STYLE_WORDS
                              or words[k].endswith("-line")):
        k += 1
    noun: list[str] = []
    while k < len(words) and len(noun) < 3 and words[k] not in _CLAUSE_BREAK | _STOP_OBJECT | {","} \
            and not words[k].endswith("ly") and not (noun and words[k].endswith("ing")):
        noun.append(words[k])
        k += 1
    return " ".join(noun[-2:]) if noun else _NO_TARGET


def _split(noun: str) -> tuple[str | None, str]:
    parts = noun.split()
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


def _qualifier_after(words: list[str], j: int):
    """ "in commit messages" → "commit message"; "in your replies" → None; nothing → _NO_TARGET."""
    k = j
    while k < len(words) and (words[k] in _LIST_WORDS or words[k] == "," or words[k] in _STYLE_WORDS):
        k += 1
    if k < len(words) and words[k] in ("in", "for", "before", "after", "inside", "within", "around", "near", "on"):
        rest = []
        for w in words[k + 1:k + 5]:
            if w in _CLAUSE_BREAK or w == ",":
                break
            rest.append(w)
        named = _phrase(rest)
        if named is not None or rest:
            return named
    return _NO_TARGET


def _style_noun(axis: str, target: str | None) -> str | None:
    if axis == "register" and target is not None and target.split()[-1] in _TONE_NOUNS:
        return None
    return target


def _verb_near(words: list[str], i: int, j: int) -> str | None:
    """The verb an adverb modifies: "respond formally", "address the user formally",
    "briefly summarize"."""
    for k in range(i - 1, max(-1, i - 5), -1):
        if words[k] in _CLAUSE_BREAK:
            break
        lemma = _lemma(words[k])
        if lemma in IMPERATIVES or lemma in _COMM_VERBS:
            return lemma
    if j < len(words) and (_lemma(words[j]) in IMPERATIVES or _lemma(words[j]) in _COMM_VERBS):
        return _lemma(words[j])
    return None


def _negated(words: list[str], i: int, j: int, form: str) -> bool:
    """A prohibition governs the word: "never use emojis", "no jokes", "not too casual",
    "instead of formal", "emojis are not allowed"."""
    for k in range(i - 1, -1, -1):
        w = words[k]
        if w in _CLAUSE_BREAK or w in _CONTRAST:
            return False
        if w in _NEGATORS or w.endswith("n't"):
            # "don't hesitate to use emojis", "never be afraid to joke": a double negative
            return not any(x in ("hesitate", "afraid", "shy", "hesitant", "limited") for x in words[k + 1:i])
        if (w == "than" and k and words[k - 1] == "rather") or (w == "of" and k and words[k - 1] == "instead"):
            return True
        if k and words[k - 1] in ("and", ",") and w in IMPERATIVES:
            return False  # "Don't use emojis, and keep it casual": a new clause
    if form == "noun":
        for w in words[j:j + 5]:
            if w in _CLAUSE_BREAK or w == ",":
                break
            if w in _NEGATED_AFTER or w.endswith("n't"):
                return True
    return False


def _hedged(words: list[str], i: int, j: int) -> bool:
    """A hedge in the clause around the word ("use emojis sparingly")."""
    lo, hi = i, j
    while lo > 0 and words[lo - 1] not in _CLAUSE_BREAK and i - lo < 4:
        lo -= 1
    while hi < len(words) and words[hi] not in _CLAUSE_BREAK and hi - j < 4:
        hi += 1
    return any(w in _HEDGES for w in words[lo:hi])


_GENERIC_REST = _DETERMINERS | _FILLER | GENERIC_TARGETS | _LIST_WORDS | {
    "in", "to", "at", "ever", "whatsoever", "times", "of", "within", "across", "throughout", "under", "circumstances",
    "period", "anywhere", "responses", "answers", "replies", "messages", "communication", "communications",
    "conversation", "conversations", "chat", "chats", "or", ",", "are", "is", "be", "allowed", "permitted",
    "forbidden", "banned", "prohibited", "disallowed", "never", "acceptable", "ok", "okay", "used", "use", "using",
    "should", "must", "will", "can"}


def _scope_after(words: list[str], j: int) -> str | None:
    """What narrows a prohibition: "never use emojis literally", "no jokes about pricing".
    A narrow prohibition does not forbid what a general request asks, so it gets its own
    target; "never use emojis or slang in any reply, ever" stays general (None)."""
    rest = []
    for n in range(j, len(words)):
        w = words[n]
        if w in _CLAUSE_BREAK or w in _CONTRAST or (w in IMPERATIVES and words[n - 1] in ("and", ",")):
            break
        if w in _GENERIC_REST or w in _STYLE_WORDS or words[n - 1] in ("or", "and", ","):
            continue
        rest.append(w)
    return " ".join(rest[:3]) if rest else None
