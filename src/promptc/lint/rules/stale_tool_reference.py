"""stale-tool-reference and unused-tool: prose and declared tools must agree."""

from __future__ import annotations

import re
from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity, did_you_mean
from ..rule import LintContext, Rule

# A name in prose is named as a tool when a verb of calling comes right before it
# ("call issue_refund(order_id)", "The `issue_refund` tool" is caught by what follows) or
# "tool"/"function" right after it.
_CALL_VERB_BEFORE = re.compile(r"\b(?:call|use|invoke|run|trigger|using|calling)\s+(?:the\s+)?`?$", re.I)
_TOOL_WORD_AFTER = re.compile(r"^`?(?:\(\))?`?\s+(?:tool|function)\b", re.I)


def _named_as_tool(text: str, mention) -> bool:
    return (mention.form == "phrase" or bool(_CALL_VERB_BEFORE.search(text[max(0, mention.start - 24):mention.start]))
            or bool(_TOOL_WORD_AFTER.match(text[mention.end:mention.end + 16])))


class StaleToolReference(Rule):
    """
    What it does:
        Finds prose that names a tool the module does not declare or import: "call the
        lookup_order tool", "call lookup_order(order_id)", "the `lookup_order` tool", and,
        in a module with tools, a call-shaped `lookup_order(` or a backticked
        `lookup_order` that resembles a declared tool. A module that declares no tools is
        checked too (its last tool may have been removed), for names prose calls a tool.

    Why it matters:
        Tools get renamed and removed while the prose keeps the old name. The model then
        tries to call a tool that does not exist, or never calls the one that does.

    Example:
        tool search_kb(query: str) "Search help-center articles."
        system \"\"\"Always call the search_docs tool before answering.\"\"\"

    Use instead:
        Name tools with `{{ tools.search_kb }}`: the compiler checks that reference, and a
        rename updates the prose.

    Options:
        None.
    """

    code = Code("PC501", "stale-tool-reference", "Prose names a tool that is not declared.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        declared = set(ctx.module.tools)
        for model in ctx.models:
            for mention in model.mentions:
                if mention.name in declared:
                    continue
                best = did_you_mean(mention.name, declared) if declared else None
                # A backticked or call-shaped name is a tool when the prose calls it one, or
                # when it resembles a declared tool.
                if best is None and not _named_as_tool(model.doc.text, mention):
                    continue
                span = model.doc.span(mention.start, mention.end)
                if best:
                    notes = [f"did you mean `{best}`? write `{{{{ tools.{best} }}}}` so the compiler checks it"]
                elif declared:
                    notes = [f"declared tools: {', '.join(sorted(declared))}; name them with `{{{{ tools.NAME }}}}`"]
                else:
                    notes = [f"this module declares no tools: declare it (`tool {mention.name}(…) \"what it does\"`) "
                             f"or import it, and name it with `{{{{ tools.{mention.name} }}}}`"]
                yield self.report(span, f"`{mention.name}` is not a declared tool", notes=notes)


class UnusedTool(Rule):
    """
    What it does:
        Reports declared or imported tools that no message names, neither with
        `{{ tools.NAME }}` nor in prose.

    Why it matters:
        A tool the prompt never explains is a tool the model calls at random, or never.
        It may also be left over from an older version of the prompt.

    Example:
        tool create_ticket(title: str) "Open a ticket."
        system \"\"\"Answer from the help center.\"\"\"

    Use instead:
        Say when to use it: `Open a ticket with {{ tools.create_ticket }} when …`, or remove
        the declaration.

    Options:
        None.
    """

    code = Code("PC502", "unused-tool", "A declared tool is never mentioned.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        if not ctx.models:
            return
        used = {name for name, _ in ctx.module.tool_refs}
        for model in ctx.models:
            used.update(m.name for m in model.mentions)
            text = model.doc.text
            used.update(name for name in ctx.module.tools if name in text)
        for name, tool in sorted(ctx.module.tools.items()):
            if name not in used:
                yield self.report(ctx.module.tool_spans.get(name, tool.span), f"tool `{name}` is declared but no message mentions it",
                                  notes=(f"say when to use it with `{{{{ tools.{name} }}}}`, or remove it",))
