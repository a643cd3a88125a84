"""token-budget: the prompt at its largest, plus the reply, may not fit the context window."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ...export.budget import report
from ..front import value_span
from ..rule import LintContext, Rule


class TokenBudget(Rule):
    """
    What it does:
        Adds up what one call may need, exactly as `promptc tokens` counts it, and compares
        it with the model's `context_window`: every message at its largest (fragments
        inlined; of each `if` its longest branch; each loop body once per item the list may
        hold; each input at the largest value its type allows) plus the reply's
        `max_tokens`. A `str` counts its `max_tokens` when declared, else `max_len / 3`
        tokens (an estimate). Values without a bound (a `str` with neither, a list without
        `max_items`, a map) are left out and named, so the total is a lower bound. Tool
        definitions and the output schema are not counted. Modules whose `model` lacks
        `max_tokens` or `context_window` are skipped. Tokens are counted with the model's
        encoding, or with a proxy encoding for models promptc has none for.

    Why it matters:
        When the prompt and the reply do not fit, the provider rejects the call or cuts the
        reply short, and it happens only for the largest inputs: in production, not in the
        demo. Bounds on inputs are what let the compiler check this before release.

    Example:
        model: {name: gpt-4o-mini, max_tokens: 4000, context_window: 8192}
        input document: str(max_len=20000)

    Use instead:
        Lower `max_tokens`, tighten the input bounds (`str(max_tokens=2000)`), or choose a
        model with a larger context window.

    Options:
        None.
    """

    code = Code("PC517", "token-budget", "The prompt and the reply may not fit the context window.",
                Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        if ctx.bundle is None or not module.is_prompt:
            return
        budget = report(ctx.bundle)
        window, reply = budget.context_window, budget.max_tokens
        if not window or not reply:
            return
        largest = budget.largest
        total = largest.tokens + reply
        if total <= window:
            return
        message = (f"a call may need {total} tokens, more than the context window of {window}: "
                   f"{budget.static} for the message text, {largest.tokens - budget.static} more for inputs "
                   f"at their largest, {reply} for the reply")
        notes = []
        if largest.estimated:
            notes.append("part of this is an estimate: a `str` with only `max_len` counts max_len/3 tokens; "
                         "declare `max_tokens` for an exact bound")
        if not budget.counting.exact:
            notes.append(f"the counts are an {budget.counting.method}")
        if largest.unbounded:
            notes.append("not counted, no size bound: " + ", ".join(f"`{p}`" for p in largest.unbounded))
        notes.append("`promptc tokens` shows the count per message; lower `max_tokens`, bound the inputs "
                     "more tightly, or use a model with a larger window")
        yield self.report(value_span(module, "model", "context_window"), message, notes=notes)
