"""missing-eval: a high-risk prompt without an eval suite."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ..front import value_span
from ..rule import LintContext, Rule


class MissingEval(Rule):
    """
    What it does:
        Reports a prompt module (one with messages) whose front matter says `risk: high`
        but names no `eval` (the eval suite, such as `evals/support_answer.jsonl`), or an
        empty one.

    Why it matters:
        `risk: high` marks prompts whose mistakes cost money, leak data or reach
        customers unreviewed. `promptc gate` holds them to the strictest eval thresholds,
        and without a suite there is nothing to measure a wording change against.

    Example:
        ---
        version: 1.0.0
        risk: high
        ---

    Use instead:
        ---
        version: 1.0.0
        risk: high
        eval: evals/support_answer.jsonl
        ---

    Options:
        None.
    """

    code = Code("PC516", "missing-eval", "A high-risk prompt names no eval suite.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        front = module.front
        if not module.is_prompt or front is None or front.risk != "high" or (front.eval and front.eval.strip()):
            return
        yield self.report(value_span(module, "risk"), f"`{module.name}` is `risk: high` but names no `eval` suite",
                          notes=("add `eval: evals/NAME.jsonl` with cases for what can go wrong, "
                                 "and import its results before release",))
