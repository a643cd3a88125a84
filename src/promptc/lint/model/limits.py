"""Limits: each numeric bound of a directive with the thing it bounds ("each bullet under
20 words", "the title under 60 characters", "keep responses under 50 words")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .directives import _lemma
from .vocabulary import _CLAUSE_BREAK, _DETERMINERS, _FILLER, _STOP_OBJECT, _TOKEN_RE, GENERIC_TARGETS, IMPERATIVES

if TYPE_CHECKING:
    from .directives import Quantity
    from .segments import Unit


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
