"""Anchoring: a finding reaches the report only when every passage it quotes is in the
prompt's messages, and it is reported where those passages were written.

A quote matches the review text verbatim, except that any run of whitespace in it matches
any run of whitespace (a line break copied as a space). Case, punctuation and words must be
the same, a quote must not run into a branch marker, and the first occurrence counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from ..diagnostics import Diagnostic, Label, Severity
from ..modules.loader import STD_PREFIX
from ..source import SourceFile, Span
from .rubric import KINDS, RawFinding
from .units import Unit

#: Shorter quotes ("the", "it") would match anywhere: they anchor nothing.
MIN_QUOTE = 3


@dataclass(frozen=True)
class Located:
    span: Span
    message: int  # index of the message
    start: int
    end: int


def locate(unit: Unit, quote: str, sources: Mapping[str, SourceFile]) -> Located | None:
    """Where `quote` first occurs in the unit's messages, or None."""
    words = quote.split()
    if len("".join(words)) < MIN_QUOTE:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    for i, message in enumerate(unit.messages):
        for m in pattern.finditer(message.text):
            if not message.covered(m.start(), m.end()):
                continue
            span = message.span(m.start(), m.end(), sources)
            if span is not None:
                return Located(span, i, m.start(), m.end())
    return None


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def anchor(unit: Unit, raw: RawFinding, severity: Severity, model: str,
           sources: Mapping[str, SourceFile]) -> Diagnostic | None:
    """The diagnostic of a finding whose quotes are all found; None otherwise."""
    places = [locate(unit, q, sources) for q in raw.quotes]
    if any(p is None for p in places):
        return None
    kind = KINDS[raw.kind]
    first, *others = places
    labels = tuple(Label(p.span, f"and here: \"{_short(q)}\"") for p, q in zip(others, raw.quotes[1:])
                   if p.span != first.span)
    message = f"{raw.conflict_kind} conflict: {raw.message}" if raw.conflict_kind else raw.message
    notes = [raw.suggestion] if raw.suggestion else []
    if first.span.file.startswith(STD_PREFIX):  # the standard library cannot carry an ignore comment
        dismiss = f"`lint: {{ignore: [{kind.code.name}]}}` in the front matter of {unit.path}"
    else:
        dismiss = f"{{# promptc: ignore[{kind.code.name}] #}} on this line"
    notes.append(f"note: advisory, from a review by {model}; dismiss it with {dismiss}")
    chain = ()
    if first.span.file != unit.path:  # a fragment imported from another module
        chain = (f"{unit.path} (`{unit.name}`)",)
    return Diagnostic(kind.code, message, first.span, severity, labels, tuple(notes), None, chain)
