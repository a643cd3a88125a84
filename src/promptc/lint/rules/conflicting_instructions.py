"""conflicting-instructions: two passages of one message that cannot both be followed."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Label, Severity
from ..rule import LintContext, Rule

#: The conflict kinds this rule reports; format is format-conflict's, tone tone-collision's.
KINDS = ("numeric", "polarity", "language", "length", "example", "schema", "identifier", "context")

_NOTES = {
    "numeric": "keep one bound, or say when each applies (a condition, a section, or an `{% if %}`)",
    "polarity": "keep one of them, or say when each applies (a condition or an `{% if %}`)",
    "language": "fix one reply language, or say when to use which (\"reply in the user's language; "
                "default to English\")",
    "length": "say which output is short and which is detailed, or when each applies",
    "example": "make the example follow the instruction, or change the instruction",
    "schema": "make the count agree with the categories or fields the prompt defines",
    "identifier": "spell the name one way everywhere",
    "context": "say what the model receives, once",
}


class ConflictingInstructions(Rule):
    """
    What it does:
        Finds passages of one message that cannot both be followed, across imported
        fragments too, and says which kind of conflict each is (`kind` in JSON output):
        numeric (bounds on one measured thing with no value in common: "must not run past
        two paragraphs" / "no fewer than four paragraphs"; "the 10 seconds" after "count to
        15 seconds"), polarity (one action on one object required and forbidden, or
        "always" against "only when needed"), language (a fixed reply language against
        another or against "the user's language"), length (brevity against elaboration for
        the same output), example (an example breaking a stated bound or return type),
        schema (a stated count of categories or fields that the declared output or the
        listed options contradict), identifier (one name spelled two ways), and context
        (material said to follow, and the request said to come without any).
        Directives in different branches of an `{% if %}`, under a condition or exception
        ("if …", "unless …", "except …", a lead line "For emails:"), for one situation (a
        section such as "## Emails" against "## Reports"), about different objects ("links
        to the guide" / "links to competitors"), and examples, transcripts and quoted text
        are left out.

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
        output = ctx.module.output
        for model in ctx.models:
            if model.role == "assistant":
                continue  # assistant turns are sample replies
            for c in model.conflicts(output):
                if c.kind not in KINDS:
                    continue
                first = model.doc.span(*c.first)
                yield self.report(model.doc.span(*c.at), f"{c.kind} conflict: {c.message}",
                                  labels=[Label(first, c.label)] if first and c.label else [],
                                  notes=[_NOTES[c.kind]], kind=c.kind)
