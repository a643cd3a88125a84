"""conflicting-instructions: two directives of one message that cannot both be followed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Label, Severity
from ..model import Instruction, Limit, MessageModel
from ..rule import LintContext, Rule


@dataclass(frozen=True)
class Conflict:
    """A later directive (`at`) that contradicts an earlier one (`first`); offsets are in
    the message document."""

    at: tuple[int, int]
    first: tuple[int, int]
    message: str
    label: str


class ConflictingInstructions(Rule):
    """
    What it does:
        Finds directives of one message that cannot both hold: "always" and "never" on the
        same action and object ("Always cite sources." / "Never cite sources."), numeric
        limits with no length in common ("under 50 words" / "at least 200 words", also for
        sentences, items, lines and paragraphs, and a part required to be longer than the
        whole may be), and brevity against elaboration ("be concise" / "be detailed") about
        the reply. Directives in different branches of an `{% if %}`, directives that hold
        only under a condition ("if …", "unless …", a lead line "For emails:"), directives
        for one situation (a section such as "## Emails" against the general ones), and
        examples, transcripts and quoted text are left out.

    Why it matters:
        The model cannot follow both, so it picks one, and not always the same one. Which
        instruction wins then depends on wording and position, not on what the author meant.

    Example:
        system \"\"\"
        Keep every answer under 50 words.
        Explain each step in detail, in at least 200 words.
        \"\"\"

    Use instead:
        Keep one of the two, or say when each applies:
        `Keep answers under 50 words. {% if detailed %}Explain each step in detail.{% endif %}`

    Options:
        None.
    """

    code = Code("PC503", "conflicting-instructions", "Two directives cannot both be followed.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for model in ctx.models:
            for c in conflicts(model):
                first = model.doc.span(*c.first)
                yield self.report(model.doc.span(*c.at), c.message,
                                  labels=[Label(first, c.label)] if first else [],
                                  notes=["keep one of them, or say when each applies (a condition or an `{% if %}`)"])


def conflicts(model: MessageModel) -> Iterator[Conflict]:
    """Each later directive that contradicts an earlier one, reported once per kind."""
    directives = [i for i in model.directives() if i.modality or i.stances or i.limits]
    for n, later in enumerate(directives):
        seen: set[str] = set()
        for earlier in directives[:n]:
            if earlier.unit is later.unit:
                continue
            found = [(kind, c) for kind, c in _contradictions(earlier, later) if kind not in seen]
            if found and model.always_together(earlier, later):
                for kind, c in found:
                    if kind not in seen:
                        seen.add(kind)
                        yield c


def _contradictions(a: Instruction, b: Instruction) -> Iterator[tuple[str, Conflict]]:
    if {a.modality, b.modality} == {"require", "prohibit"} and a.predicate and a.predicate == b.predicate \
            and a.subject == b.subject and a.predicate not in (("be",), ("do",)) and not _register_clash(a, b):
        verb = "forbids" if b.modality == "prohibit" else "requires"
        other = "requires" if b.modality == "prohibit" else "forbids"
        yield "modal", Conflict((b.start, b.end), (a.start, a.end),
                                f"this {verb} what an earlier instruction {other}: “{_short(a.text)}”",
                                f"this {other} it")
    for la in a.limits:
        for lb in b.limits:
            if _binding(a, la) and _binding(b, lb) and la.contradicts(lb):
                qa, qb = la.quantity, lb.quantity
                yield "limit", Conflict((qb.start, qb.end), (qa.start, qa.end),
                                        f"“{qb.text}”{_about(lb)} cannot be met together with "
                                        f"“{qa.text}”{_about(la)}", "the earlier limit")
    for sa in a.stances:
        for sb in b.stances:
            if sa.axis == "length" and sa.clashes(sb):
                yield "length", Conflict((sb.start, sb.end), (sa.start, sa.end),
                                         f"this asks for a {_LENGTH[sb.effective]} reply, but an earlier "
                                         f"instruction asks for a {_LENGTH[sa.effective]} one",
                                         f"asks for a {_LENGTH[sa.effective]} reply here")


_LENGTH = {"brief": "brief", "long": "detailed"}


def _register_clash(a: Instruction, b: Instruction) -> bool:
    """A clash of registers ("use emojis" / "never use emojis") is tone-collision's finding."""
    return any(sa.axis == "register" and sa.clashes(sb) for sa in a.stances for sb in b.stances)


def _binding(ins: Instruction, limit: Limit) -> bool:
    """A bound on the reply itself, or one a directive sets: "The input has at least 1000
    words" describes, it does not ask."""
    return ins.modality is not None or limit.target is None


def _about(limit: Limit) -> str:
    if limit.part:
        return f" for each {limit.target}" if limit.target else " for each part"
    return f" for the {limit.target}" if limit.target else " for the reply"


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
