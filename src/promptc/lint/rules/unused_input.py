"""unused-input: an input that no message reads."""

from __future__ import annotations

from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ...semantic import types as T
from ..references import used_inputs
from ..rule import LintContext, Rule


class UnusedInput(Rule):
    """
    What it does:
        Reports an input that no message uses: not in `{{ … }}`, not in an `{% if %}` or
        `{% for %}` head, not in a filter argument, and not passed to a fragment argument.
        It reads the checked template, so a word in the prose that happens to match the
        input's name does not count as a use, and a loop variable of the same name hides
        the input inside its loop. Library modules (no messages) are skipped.

    Why it matters:
        Every input is part of the prompt's interface: callers must supply it, it sits in
        the JSON Schema, and it is hashed into the bundle. An input nothing renders is
        usually a leftover of an edit that dropped it from the text, so the caller's data
        silently stops reaching the model.

    Example:
        input tier: Tier = "free"
        input locale: str = "en"
        system \"\"\"Plan: {{ tier }}. Answer in the customer's language.\"\"\"

    Use instead:
        Use it (`Answer in the language of locale "{{ locale }}".`), or remove the
        declaration; removing an input changes the interface, so bump the major version.

    Options:
        None.
    """

    code = Code("PC509", "unused-input", "An input is declared but no message uses it.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        if not module.is_prompt:
            return
        used: set[str] = set()
        for message in module.messages:
            used |= used_inputs(message.body)
        for sym in module.inputs:
            if sym.name not in used:
                yield self.report(sym.span, f"input `{sym.name}` is declared but no message uses it",
                                  notes=(f"use it in a message ({_use_hint(sym.name, sym.type)}), or remove it "
                                         "(removing an input changes the interface: bump the major version)",))


def _use_hint(name: str, ty: T.Type) -> str:
    base = T.strip_optional(ty)
    if isinstance(base, T.List):
        return f"`{{% for item in {name} %}}…{{% endfor %}}`"
    if isinstance(base, (T.Object, T.Map)):
        return f"`{{{{ {name}.FIELD }}}}`"
    return f"`{{{{ {name} }}}}`"
