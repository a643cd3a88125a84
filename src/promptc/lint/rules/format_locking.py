"""format-locking: rigid prescriptions that leave the model no way out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field

from ...diagnostics import Code, Diagnostic, Severity
from ..model import MessageModel
from ..rule import LintContext, Rule


class FormatLockingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shouted_words: int = Field(2, ge=1, description="Separate modal words in capitals in one sentence.")
    shouted_sentences: int = Field(10, ge=1, description="Sentences with words in capitals in one message.")


@dataclass(frozen=True)
class Lock:
    start: int
    end: int
    message: str
    note: str


class FormatLocking(Rule):
    """
    What it does:
        Finds rigid prescriptions with no fallback: an exact count ("exactly 16 words",
        "exactly 3 bullet points") where neither the sentence nor the next one says what to
        do otherwise ("if there are fewer …", "or fewer", "otherwise …"); sentences that
        stack modal words in capitals ("NEVER guess, ONLY use …", "ALWAYS … and NEVER …");
        and messages in which many sentences shout. A count of one ("exactly one
        sentence") is not reported, nor a shouting sentence that states its exception
        ("… unless asked"). Examples and quoted text are left out.

    Why it matters:
        When the content does not fit the mold, the model pads, truncates or invents to meet
        the count. Capitals everywhere make every rule look absolute, so the model follows
        them literally where judgement was wanted, and the truly critical rule no longer
        stands out.

    Example:
        system \"\"\"
        Summarize the article in exactly 3 bullet points.
        ALWAYS answer in English and NEVER use another language.
        \"\"\"

    Use instead:
        Give a range or a fallback, and keep capitals for the one rule that needs them:
        `Summarize the article in up to 3 bullet points; use fewer if there is less to say.`

    Options:
        shouted_words: separate modal words in capitals (MUST, NEVER, ONLY, ALWAYS, NOT…)
          in one sentence from which it is reported (default 2). "MUST NOT" counts once,
          and a label such as "IMPORTANT:" does not count.
        shouted_sentences: sentences with emphasis in capitals (MUST, NEVER, IMPORTANT…) in
          one message from which the message is reported (default 10).
    """

    code = Code("PC507", "format-locking", "A rigid prescription has no fallback.", Severity.INFO)
    Options = FormatLockingOptions

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for model in ctx.models:
            for lock in locks(model, self.options):
                yield self.report(model.doc.span(lock.start, lock.end), lock.message, notes=[lock.note])


def locks(model: MessageModel, options: FormatLockingOptions) -> Iterator[Lock]:
    shouting = []
    for ins in model.directives():
        if ins.shouting:
            shouting.append(ins)
        if model.fallback(ins):
            continue
        for q in ins.quantities:
            if q.bound == "exact" and (q.low or 0) >= 2:
                yield Lock(q.start, q.end, f"“{q.text}” leaves no room when the content does not fit",
                           "allow a range or say what to do otherwise (“up to …; fewer if there is less to say”)")
        if ins.shouted_modals >= options.shouted_words:
            yield Lock(ins.start, ins.end, f"{ins.shouted_modals} modal words in capitals in one sentence, with no "
                       "exception",
                       "state the rule once, plainly, with its exception; the model follows capitals literally")
    if len(shouting) >= options.shouted_sentences:
        first = shouting[0]
        yield Lock(first.start, first.end,
                   f"{len(shouting)} sentences of this message put their emphasis in capitals",
                   "when every rule is emphasized none stands out; keep capitals for the one that matters most")
