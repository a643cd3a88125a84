"""Directives: for each unit, the instruction it gives (modality and its cue, action,
object, numeric quantities, emphasis) and the stemmed keys that let two directives be
compared."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from .segments import Unit
from .vocabulary import (
    _CAPS_RUN_RE, _CUE_KIND, _CUE_RE, _DETERMINERS, _FILLER, _LABEL_RE, _MODAL_WORDS, _NEGATOR_AFTER_CUE_RE,
    _NUMBER_WORDS, _QUANTITY_RE, _STOP_OBJECT, _WORD_RE, IMPERATIVES, UNITS,
)



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


@lru_cache(maxsize=65536)
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
