"""missing-owner: a prompt without a business owner."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ..front import header_span
from ..rule import LintContext, Rule


class MissingOwner(Rule):
    """
    What it does:
        Reports a prompt module (one with messages) whose front matter has no `owner`, or
        an empty one. `tech_owner` does not stand in for it: the technical owner wires and
        releases the prompt, the owner approves what it says. Library modules are skipped.

    Why it matters:
        A prompt's wording is business behaviour: refund promises, tone, escalation
        policy. Without a named owner, nobody is asked to approve a wording change, and an
        incident traced to the prompt has no one to go to.

    Example:
        ---
        version: 1.0.0
        tech_owner: platform-team
        ---

    Use instead:
        ---
        version: 1.0.0
        owner: maria@acme.example
        tech_owner: platform-team
        ---

    Options:
        None.
    """

    code = Code("PC513", "missing-owner", "A prompt's front matter names no owner.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        if not module.is_prompt:
            return
        front = module.front
        if front is not None and front.owner and front.owner.strip():
            return
        notes = ["add `owner: name@example.com` (the person or team who approves the wording)"]
        if front is not None and front.tech_owner:
            notes.append(f"`tech_owner` ({front.tech_owner}) owns the wiring, not the wording")
        yield self.report(header_span(module), f"prompt `{module.name}` has no `owner` in its front matter",
                          notes=notes)
