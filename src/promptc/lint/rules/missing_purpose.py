"""missing-purpose: a prompt that does not say what it is for."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ..front import header_span
from ..rule import LintContext, Rule


class MissingPurpose(Rule):
    """
    What it does:
        Reports a prompt module (one with messages) whose front matter has no `purpose`,
        or an empty one. Library modules are skipped.

    Why it matters:
        The purpose is the one line a reviewer, an eval author or an on-call engineer
        reads to know what the prompt is supposed to do; it is copied into the bundle's
        `meta`, so it also labels the prompt in the registry and in traces.

    Example:
        ---
        version: 1.0.0
        owner: maria@acme.example
        ---

    Use instead:
        ---
        version: 1.0.0
        purpose: Answer a customer's question from the help center.
        owner: maria@acme.example
        ---

    Options:
        None.
    """

    code = Code("PC514", "missing-purpose", "A prompt's front matter does not state its purpose.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        if not module.is_prompt:
            return
        front = module.front
        if front is not None and front.purpose and front.purpose.strip():
            return
        yield self.report(header_span(module), f"prompt `{module.name}` does not state its `purpose`",
                          notes=("add one line: `purpose: Answer a customer's question from the help center.`",))
