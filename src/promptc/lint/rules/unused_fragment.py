"""unused-fragment: a fragment of a prompt module that none of its messages reaches."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ..references import called_fragments, reachable_local_fragments
from ..rule import LintContext, Rule


class UnusedFragment(Rule):
    """
    What it does:
        Reports a fragment declared in a prompt module (one with messages) that no message
        of the module inlines, directly or through another of its fragments. A fragment
        used only by another unused fragment is reported too, saying so. Library modules
        are exempt: their fragments are there for importers.

    Why it matters:
        A fragment no message reaches never reaches the model. Readers still take it for
        part of the prompt, and edits to it change nothing, which is hard to notice in
        review.

    Example:
        fragment escalation \"\"\"Escalate billing disputes to a human.\"\"\"
        system \"\"\"Answer billing questions.\"\"\"

    Use instead:
        Inline it where it belongs (`{{ escalation }}`), or delete it. Wording meant to be
        shared between prompts belongs in a library module that they import.

    Options:
        None.
    """

    code = Code("PC511", "unused-fragment", "A prompt module declares a fragment no message uses.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        if not module.is_prompt:
            return
        reached = reachable_local_fragments(module)
        local = module.exports.fragments
        for name, frag in local.items():
            if name in reached:
                continue
            users = sorted(o.name for o in local.values()
                           if any(c.name == name and c.module == module.name for c in called_fragments(o.body or [])))
            if users:
                message = (f"fragment `{name}` is used only by "
                           + ", ".join(f"`{u}`" for u in users) + ", which no message uses")
            else:
                message = f"fragment `{name}` is declared but no message uses it"
            required = [p.name for p in frag.params or () if not p.has_default]
            call = f"{name}({', '.join(f'{p}=…' for p in required)})" if required else name
            yield self.report(frag.span, message,
                              notes=(f"inline it with `{{{{ {call} }}}}` where it belongs, or delete it",))
