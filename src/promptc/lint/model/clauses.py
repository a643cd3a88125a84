"""Directives, normalised: each clause of a unit that instructs, with its modality, the action
and object it is about (as lemmas), the quantities it sets (bound, value, unit and what is
measured) and what limits when it holds (a condition, an exception, a need, "always").

This is the directive layer: it reads units (`segments`) and the lexicon, nothing above.
Two phrasings of one instruction give equal `Directive.action`/`Directive.object`:
"Always cite your sources." and "Never reference the sources." are the same action on the
same object, one required and one prohibited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import lexicon as L
from .segments import Unit

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_LETTERS_RE = re.compile(r"[a-z]+")
_CUE_WORD_RE = re.compile(r"(?<!\w)[A-Za-z][A-Za-z'’]*")


@dataclass(frozen=True)
class Measure:
    """A numeric bound: `low`..`high` (None for open) of `unit`, measured `per` a part
    ("each bullet under 20 words": word per item) of `target` (None: the reply)."""

    low: float | None
    high: float | None
    unit: str
    per: str | None
    target: str | None
    start: int
    end: int
    text: str
    bare: bool  # no comparative: "give three examples"
    definite: bool  # "the 10 seconds": refers back to a quantity set elsewhere

    def disjoint(self, other: Measure) -> bool:
        alo = self.low if self.low is not None else float("-inf")
        ahi = self.high if self.high is not None else float("inf")
        blo = other.low if other.low is not None else float("-inf")
        bhi = other.high if other.high is not None else float("inf")
        return ahi < blo or bhi < alo


@dataclass(frozen=True)
class Directive:
    """One clause that instructs (or states: `modality` None)."""

    unit: Unit
    start: int  # document offsets of the clause
    end: int
    text: str
    plain: str
    modality: str | None  # "require" | "prohibit" | "permit" | "prefer" | None
    action: str | None
    object: str | None
    qualifier: frozenset[str] = field(default_factory=frozenset)
    target_user: bool = False  # the action is directed at the user ("ask the user …")
    condition: str | None = None  # "if …", "unless …", "except …" inside the clause
    need: bool = False  # "if required", "when needed", "only when …"
    always: bool = False
    measures: tuple[Measure, ...] = ()

    @property
    def lower(self) -> str:
        return self.plain.lower()


_LEAD_VALUE_RE = re.compile(r"\s*(?:\{\{[^{}]*\}\}\s*)+")


def directives_of(unit: Unit) -> tuple[Directive, ...]:
    """The clauses of a unit, normalised; headings give none."""
    if unit.kind == "heading":
        return ()
    return _directives(unit)


@lru_cache(maxsize=4096)
def _directives(unit: Unit) -> tuple[Directive, ...]:
    out = []
    plain = unit.plain
    at = 0
    pieces = []
    for m in L.CLAUSE_SPLIT_RE.finditer(plain):
        pieces.append((at, m.start()))
        at = m.end()
    pieces.append((at, len(plain)))
    for s, e in pieces:
        text = plain[s:e]
        lead = _LEAD_VALUE_RE.match(text)  # "{{ item }} Write plain text": the clause starts at "Write"
        if lead and lead.end() < len(text):
            s += lead.end()
            text = plain[s:e]
        if not text.strip():
            continue
        out.append(_directive(unit, s, e))
    return tuple(out)


def _directive(unit: Unit, s: int, e: int) -> Directive:
    plain = unit.plain[s:e]
    measures = tuple(_measures(unit, s, e))
    masked = plain
    for q in measures:  # "no more than two paragraphs" is a bound, not a prohibition
        a, b = q.start - unit.start - s, q.end - unit.start - s
        masked = masked[:a] + " " * (b - a) + masked[b:]
    modality, rest_at = _modality(masked)
    action, obj, qual, user = _action_object(masked[rest_at:]) if modality or rest_at == 0 else (None, None,
                                                                                                 frozenset(), False)
    cond = L.CONDITION_RE.search(plain)
    return Directive(unit, unit.start + s, unit.start + e, unit.text[s:e], plain, modality, action, obj, qual, user,
                     cond.group(0) if cond else None, bool(L.NEED_RE.search(plain)),
                     bool(L.ALWAYS_RE.search(plain)), measures)


# --- modality -----------------------------------------------------------------------

_LABEL_RE = re.compile(r"^\W*(?:(?:very\s+)?(?:important|note|critical|crucial|reminder|warning|rule(?:\s+no\.?\s*"
                       r"\d+)?|step\s+\d+)\s*[:.-]\s*)?", re.I)
_LEAD_FILLER_RE = re.compile(r"^\W*(?:(?:please|also|then|and|so|finally|first|next|lastly|instead|otherwise|"
                             r"again|now|just|simply|kindly|you)\s*,?\s+)*", re.I)


def _modality(plain: str) -> tuple[str | None, int]:
    """The modality and where what is asked begins. A cue anywhere ("Your reply must not …")
    counts; an imperative verb counts only at the start ("Give the steps …")."""
    if L.NO_OPEN_RE.match(plain):
        return "prohibit", L.NO_OPEN_RE.match(plain).end()
    m = L.find_cue(plain, _CUE_WORD_RE)
    if m and not _cue_is_adjective(plain, m):
        kind = L.CUE_KIND[" ".join(m.group(1).lower().split())]
        after = m.end()
        head = _LABEL_RE.match(plain).end()
        head = head + _LEAD_FILLER_RE.match(plain[head:]).end()
        first = _WORD_RE.match(plain, head)
        if first and first.end() <= m.start() and _is_verb(first.group(0).lower()) \
                and m.group(1).lower() in ("only", "always", "at all times"):
            return kind, first.start()  # "Use headings only when …": the verb comes first
        neg = re.match(r"\s*(?:not|never|avoid|refrain\s+from)\b", plain[after:], re.I)
        if kind in ("require", "permit") and neg:
            return "prohibit", after + neg.end()
        return kind, after
    head = _LABEL_RE.match(plain).end()
    head = head + _LEAD_FILLER_RE.match(plain[head:]).end()
    first = _WORD_RE.match(plain, head)
    if first and _is_verb(first.group(0).lower()):
        return "require", first.start()
    lead = _LEAD_PHRASE_RE.match(plain)  # "After the JSON, add a note": the verb follows the phrase
    if lead:
        first = _WORD_RE.match(plain, lead.end())
        if first and _is_verb(first.group(0).lower()):
            return "require", first.start()
    return None, 0


_LEAD_PHRASE_RE = re.compile(r"^\W*(?:after|before|at\s+the\s+end|at\s+the\s+start|below|above|finally|then|next|"
                             r"afterwards|at\s+the\s+bottom|at\s+the\s+top)\b[^,]{0,40},\s*", re.I)


def _cue_is_adjective(plain: str, m: re.Match) -> bool:
    """"the only way", "not only", "you can see" are not cues."""
    word = m.group(1).lower()
    before = plain[: m.start()].lower().split()
    if word == "only" and before and before[-1] in ("the", "not", "an", "your", "its", "their", "is", "are"):
        return True
    if word in ("may", "you can", "can't", "cannot", "you will", "stop") and not before:
        return False
    return False


_COPULAS = {"be", "stay", "remain", "keep", "make", "do", "try", "aim", "focus", "stick", "avoid", "limit"}


def _is_verb(word: str) -> bool:
    return word in _COPULAS or word in L.ACTIONS or _lemma(word) in L.ACTIONS and word == _lemma(word)


# --- action and object --------------------------------------------------------------

def _action_object(rest: str) -> tuple[str | None, str | None, frozenset[str], bool]:
    words = [w.lower().strip("'’") for w in _WORD_RE.findall(rest)]
    while words and (words[0] in L.FILLERS or (words[0] in ("be", "sure", "that", "not", "ever") and len(words) > 1
                                                and words[1] in L.ACTIONS)):
        words = words[1:]
    if not words:
        return None, None, frozenset(), False
    verb = _lemma(words[0])
    rest_words = words[1:]
    if len(words) > 1 and f"{verb} {words[1]}" in L.ACTIONS:  # "write back", "look up"
        verb = f"{verb} {words[1]}"
        rest_words = words[2:]
    action = L.ACTIONS.get(verb, verb) or verb
    user = False
    obj_words: list[str] = []
    qual: list[str] = []
    i = 0
    while i < len(rest_words):
        w = rest_words[i]
        if w in L.PRONOUN_USER and not obj_words:
            user = True
            i += 1
            continue
        if w in L.DETERMINERS and not obj_words:
            i += 1
            continue
        if w in L.STOP or w in L.DETERMINERS:
            break
        obj_words.append(w)
        i += 1
        if len(obj_words) == 3:
            break
    if verb == "confirm" and "with" in rest_words and any(p in rest_words for p in L.PRONOUN_USER):
        action, user = "ask", True  # "confirm the order with the user" asks the user
    # a qualifier: what follows the object and narrows it ("links to third-party sites",
    # "tools like Bash as a means to communicate"), up to a condition
    for w in rest_words[i:]:
        if w in ("when", "if", "unless", "because", "while", "before", "after", "until", "so"):
            break
        if w not in L.STOP and w not in L.DETERMINERS and w not in L.PRONOUN_USER and w not in L.FILLERS:
            qual.append(_lemma(w))
    obj = _object_lemma(obj_words)
    return action, obj, frozenset(qual), user


def _object_lemma(words: list[str]) -> str | None:
    if not words:
        return None
    phrase = " ".join(_lemma(w) for w in words)
    if phrase in L.OBJECTS:
        return L.OBJECTS[phrase]
    head = _lemma(words[-1])
    if head in L.OBJECTS:
        head = L.OBJECTS[head]
    mods = [_lemma(w) for w in words[:-1] if not w.endswith("ly")]
    return " ".join(mods + [head])


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    w = word.lower().strip("'’")
    if w in L.IRREGULAR:
        return L.IRREGULAR[w]
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    if w.endswith("thing") or w in L.UNIVERSAL:
        return w
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", "")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            base = w[: -len(suffix)] + repl
            if not re.search(r"[aeiouy]", base):
                break
            if suffix in ("ing", "ed"):
                if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                    base = base[:-1]
                elif base + "e" in L.ACTIONS or base + "e" in L.OBJECTS:
                    base = base + "e"
            return base
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


# --- quantities ---------------------------------------------------------------------

def number(text: str) -> float | None:
    t = " ".join(text.lower().replace(",", "").split())
    if t.isdigit():
        return int(t)
    if t in L.NUMBER_WORDS:
        return L.NUMBER_WORDS[t]
    parts = re.split(r"[- ]", t)
    if len(parts) == 2 and parts[0] in L.NUMBER_WORDS and parts[1] in L.NUMBER_WORDS:
        return L.NUMBER_WORDS[parts[0]] + L.NUMBER_WORDS[parts[1]]
    return None


_PART_NOUNS = {"item", "sentence", "paragraph", "line", "section", "headline", "step", "question", "suggestion",
               "option", "example", "heading", "slide", "topic"}
_PER_AFTER_RE = re.compile(r"^\s*(?:per|each|for\s+each|in\s+each|for\s+every|in\s+every|a)\s+(\w+(?:\s+point)?)",
                           re.I)
_TARGET_BEFORE_RE = re.compile(r"\b(?:keep|make|limit|write|cap|restrict|give|produce|draft)\s+(?:(?:the|your|each|every|"
                               r"all|a|an)\s+)?(?:[a-z][a-z-]+\s+)??([a-z][a-z-]+)\s+(?:(?:to|at|in|within|of|under|"
                               r"below|between)\s+)?$", re.I)
_SUBJECT_BEFORE_RE = re.compile(r"\b(?:the|your|each|every|all)\s+([a-z][a-z-]+)\s+(?:must|should|may|can|will|is|"
                                r"are|needs?\s+to|has\s+to|have\s+to)?\s*(?:not\s+|never\s+|always\s+|be\s+|stay\s+|"
                                r"remain\s+|run\s+|go\s+|contains?\s+|ha(?:ve|s)\s+|exceed\s+)*$", re.I)
_NEGATED_BEFORE_RE = re.compile(r"\b(?:never|not|don't|dont|avoid|refrain\s+from)\b(?:\s+[a-z'’]+){0,3}\s*$", re.I)
_LIMIT_TO_RE = re.compile(r"\b(?:limit|cap|restrict|keep)(?:ed)?\b(?:\s+[a-z'’]+){0,4}?\s+to\s*$", re.I)
_COUNT_TO_RE = re.compile(r"\b(?:count|wait|pause)\s+(?:to|for)\s+$", re.I)


_UNIT_WORDS = frozenset(w for u in L.UNITS for w in u.split())


def _measures(unit: Unit, s: int, e: int):
    plain = unit.plain
    clause = plain[s:e]
    if _UNIT_WORDS.isdisjoint(_LETTERS_RE.findall(clause.lower())):
        return  # no unit of measure: no quantity (the full pattern is costly)
    for m in L.QUANTITY_RE.finditer(clause):
        n = number(m.group("n"))
        if n is None:
            continue
        hi_n = number(m.group("m")) if m.group("m") else None
        op = " ".join((m.group("op") or "").lower().split())
        neg = bool(m.group("neg"))
        post = " ".join((m.group("post") or m.group("mid") or "").lower().split())
        if not neg and op and not op.startswith(("not ", "no ", "never ")):
            neg = bool(_NEGATED_BEFORE_RE.search(clause[: m.start()]))  # "never use more than 3"
        unit_name = L.UNITS[" ".join(m.group("unit").lower().split())]
        before = clause[: m.start()]
        definite = bool(re.search(r"\bthe\s*$", before, re.I)) and not op
        bare = False
        if hi_n is not None and op in ("", "between"):
            low, high = n, hi_n
        elif op:
            bound, strict = L.COMPARATIVES.get(op, (None, False))
            if bound is None:
                continue
            if neg and bound in ("max", "min") and not op.startswith(("not ", "no ", "never ")):
                bound = "min" if bound == "max" else "max"  # "never more than 3" → at most 3
                strict = not strict
            if bound == "max":
                low, high = None, (n - 1 if strict and float(n).is_integer() else n)
                if strict and not float(n).is_integer():
                    high = n
            elif bound == "min":
                low, high = (n + 1 if strict else n), None
            else:
                low, high = n, n
        elif post:
            if post.startswith("or") and post.split()[-1] in ("fewer", "less"):
                low, high = None, n
            elif post.startswith("or more") or post == "+" or post in ("minimum", "at least"):
                low, high = n, None
            elif post in ("max", "maximum", "at most", "at the most"):
                low, high = None, n
            else:
                continue
        else:
            if re.search(r"\b(?:step|rule|phase|part|stage|no\.?|number|#|version|v)\s*$", before, re.I):
                continue
            low, high, bare = n, n, True
            if _COUNT_TO_RE.search(before):
                bare = False
            elif _LIMIT_TO_RE.search(before):  # "limit the reply to 2 sentences"
                low, bare = None, False
        per = None
        target = None
        if m.group("hyphen"):  # "15-word bullets"
            after = re.match(r"\s*([a-z]+(?:\s+points?)?)", clause[m.end():], re.I)
            nxt = m.group("mods").split()[0] if m.group("mods") else (after.group(1) if after else "")
            per = L.UNITS.get(nxt.lower())
        else:
            per = _part_before(before, unit_name)
        pm = _PER_AFTER_RE.match(clause[m.end():])
        if pm and L.UNITS.get(pm.group(1).lower()):
            per = L.UNITS[pm.group(1).lower()]
        if per is None:
            spaced = before.rstrip() + " "
            tm = _TARGET_BEFORE_RE.search(spaced) or _SUBJECT_BEFORE_RE.search(spaced)
            if tm:
                word = _lemma(tm.group(1))
                if word not in L.REPLY_NOUNS and L.UNITS.get(word) != unit_name and L.OBJECTS.get(word) != "reply" \
                        and word not in L.ACTIONS and word not in L.STOP:
                    target = word
        lead = len(clause[m.start():m.end()]) - len(clause[m.start():m.end()].lstrip())
        yield Measure(low, high, unit_name, per, target, unit.start + s + m.start() + lead, unit.start + s + m.end(),
                      clause[m.start() + lead:m.end()], bare, definite)


def _part_before(before: str, unit_name: str) -> str | None:
    """The part a bound is measured per: "each bullet under 20 words", "bullets of at most
    16 words", "sentences must stay below 25 words"."""
    words = re.findall(r"[a-z'’]+", before.lower())[-6:]
    for k in range(len(words) - 1, -1, -1):
        w = words[k]
        two = " ".join(words[k:k + 2])
        name = L.UNITS.get(two) or L.UNITS.get(w)
        if name and name != unit_name and name in _PART_NOUNS:
            head = k - 1 if w.startswith("point") and k > 0 and words[k - 1] == "bullet" else k
            each = head > 0 and words[head - 1] in ("each", "every", "per", "all")
            if not each and not (w.endswith("s") and w != "points" or two.endswith("points")):
                return None  # "the title under 60 characters" bounds the title itself
            gap = words[k + 1:]
            if any(g in L.ACTIONS and g not in ("be", "contain", "have") for g in gap):
                return None
            return name
    return None
