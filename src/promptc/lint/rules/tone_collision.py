"""tone-collision: registers of one message that cannot be heard at once."""

from __future__ import annotations

from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Label, Severity
from ..model import MessageModel, Stance
from ..rule import LintContext, Rule


class ToneCollision(Rule):
    """
    What it does:
        Finds register directives of one message that clash: formal or strictly
        professional against casual, playful, humour or emojis; and a prohibition against a
        request for the same thing ("never use emojis" / "use emojis freely", "no jokes" /
        "be playful"). "Friendly" and "professional" go together and are not reported.
        Directives in different branches of an `{% if %}`, directives that hold only under a
        condition ("if the user jokes, …"), directives for one situation (a section such as
        "## Emails" against the general ones), and examples and quoted text are left out.

    Why it matters:
        The model averages the two registers or switches between them from reply to reply,
        so the voice of the product is neither of the ones asked for.

    Example:
        system \"\"\"
        Write in a formal tone.
        Keep it playful and use emojis freely.
        \"\"\"

    Use instead:
        Pick one register, or tie each to its audience:
        `{% if channel == "chat" %}Keep it playful.{% else %}Write in a formal tone.{% endif %}`

    Options:
        None.
    """

    code = Code("PC504", "tone-collision", "Two directives ask for incompatible registers.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for model in ctx.models:
            for first, later in collisions(model):
                span = model.doc.span(first.start, first.end)
                yield self.report(model.doc.span(later.start, later.end),
                                  f"this asks for {describe(later)}, but an earlier instruction asks for "
                                  f"{describe(first)}",
                                  labels=[Label(span, f"asks for {describe(first)} here")] if span else [],
                                  notes=["pick one register, or say when each applies (a condition or an `{% if %}`)"])


def collisions(model: MessageModel) -> Iterator[tuple[Stance, Stance]]:
    """(earlier, later) register stances that clash; each later sentence is reported once."""
    directives = [i for i in model.directives() if any(s.axis == "register" for s in model.stances(i))]
    for n, later in enumerate(directives):
        found = next(((a, b) for earlier in directives[:n] if model.always_together(earlier, later)
                      for a in model.stances(earlier) for b in model.stances(later)
                      if a.axis == "register" and a.clashes(b)), None)
        if found:
            yield found


_NAMES = {"formal": "a formal register", "casual": "a casual register", "playful": "a playful tone",
          "humour": "humour", "emoji": "emojis"}
_NEGATED = {"formal": "no formality", "casual": "no casual register", "playful": "no playfulness",
            "humour": "no humour", "emoji": "no emojis"}


def describe(stance: Stance) -> str:
    return (_NEGATED if stance.negated else _NAMES)[stance.value]
