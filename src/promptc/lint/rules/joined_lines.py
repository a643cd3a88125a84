"""joined-lines: a block tag at the end of a line of prose takes that line's newline."""

from __future__ import annotations

import re
from typing import Iterable

from ...diagnostics import Code, Diagnostic, Severity
from ...syntax.template import ParsedTemplate, environment
from ..rule import LintContext, Rule

# Tags and comments on a line are not prose; text and `{{ … }}` are.
_NOT_PROSE = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)


class JoinedLines(Rule):
    """
    What it does:
        Reports a block tag (`{% endif %}`, `{% else %}`, `{% endfor %}`, …) that ends a
        line holding text or a `{{ … }}` and is followed by a line of text. As in Jinja2 with
        `trim_blocks`, the newline right after a block tag is removed, so that line runs
        into the next one.

    Why it matters:
        `…is a priority.{% endif %}` followed by a line `Earlier tickets…` renders
        `…is a priority.Earlier tickets…`: two sentences run together, and nothing else
        says so. A tag on a line of its own is fine: its line disappears, as intended.

    Example:
        {% if vip %}This customer is a priority.{% endif %}
        Earlier tickets are below.

    Use instead:
        Put the closing tag on a line of its own, or end it with `+%}` to keep the
        newline (`{% endif +%}`), or with `-%}` to say the lines are meant to join.

    Options:
        None.
    """

    code = Code("PC518", "joined-lines", "A block tag ending a line of prose removes its newline.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        templates = [m.template for m in module.messages]
        templates += [f.template for f in module.exports.fragments.values()
                      if f.module == module.name and f.template is not None]
        for parsed in templates:
            yield from self._check(parsed)

    def _check(self, parsed: ParsedTemplate) -> Iterable[Diagnostic]:
        text = parsed.block.text
        for start, newline in environment().lexer.trimmed_newlines(text):
            line = text[text.rfind("\n", 0, start) + 1:start]
            following = text[newline + 1:].split("\n", 1)
            if not _NOT_PROSE.sub("", line).strip() or not following[0].strip():
                continue  # no prose on the line, or a blank line (or nothing) follows: the break stays
            tag = text[start:newline]
            fixed = tag[:-2].rstrip() + " +%}"
            yield self.report(parsed.span_at(start, len(tag)),
                              f"the newline after `{tag}` is removed, so this line runs into the next",
                              notes=(f"put `{tag}` on a line of its own, or write `{fixed}` to keep the newline",))
