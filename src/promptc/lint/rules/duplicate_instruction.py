"""duplicate-instruction: a paragraph that copies a stdlib fragment, or repeats one from
another message of the module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ...diagnostics import Code, Diagnostic, Label, Severity
from ...source import Span
from ...syntax import ast
from ..document import Document
from ..rule import LintContext, Rule
from ..stdlib_index import MIN_WORDS, paragraph_key, paragraphs, word_count


@dataclass(frozen=True)
class _Paragraph:
    key: str
    span: Span
    message: int  # index of the message it appears in


class DuplicateInstruction(Rule):
    """
    What it does:
        Compares each paragraph of the module's own text (a run of non-blank lines, also
        ended by a heading or a tag line; at least 12 words; whitespace and case do not
        matter) with the paragraphs of the standard library's fragments,
        and with the paragraphs of the module's other messages. A paragraph that copies a
        stdlib fragment is reported with the import that replaces it; a paragraph of the
        system message written again in another message is reported there. Text inlined
        from imported fragments is not the module's own and is not compared; the same local
        fragment used in two messages is one paragraph, not two. Not compared: paragraphs
        repeated among user and assistant turns only (few-shot examples repeat their
        framing on purpose), repetition within one message (a deliberate reminder), and
        repetition across modules of the project (rules see one module at a time).

    Why it matters:
        A pasted copy of stdlib wording stops receiving its fixes and reviews, and drifts.
        A paragraph written twice in one prompt costs tokens on every call, and the two
        copies drift apart at the first edit, leaving the model two versions of a rule.

    Example:
        system \"\"\"
        Never invent specifics. Do not make up URLs, email addresses, phone numbers, …
        \"\"\"

    Use instead:
        import std.safety
        system \"\"\"
        {{ safety.no_fabrication }}
        \"\"\"
        For a deliberate repetition across messages, put the paragraph in a fragment and
        inline it in both, so the copies cannot drift.

    Options:
        None. The stdlib paragraphs come from the project facts (`stdlib_paragraphs`).
    """

    code = Code("PC512", "duplicate-instruction",
                "A paragraph duplicates a stdlib fragment or another message.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        stdlib = ctx.project.stdlib_paragraphs
        found = [p for i, model in enumerate(ctx.models) for p in _own_paragraphs(model.doc, i, module.name)]
        reported: set[Span] = set()
        for para in found:
            hit = stdlib.get(para.key)
            if hit is None or hit[0] == module.name or para.span in reported:
                continue
            reported.add(para.span)
            std_module, fragment = hit
            yield self.report(para.span, f"this paragraph repeats `{std_module}.{fragment}` from the standard library",
                              notes=(_use_note(module.syntax, std_module, fragment),))
        groups: dict[str, list[_Paragraph]] = {}
        for para in found:
            if para.key not in stdlib:
                groups.setdefault(para.key, []).append(para)
        for group in groups.values():
            # Few-shot turns repeat their framing on purpose: only a repetition of a
            # system-message paragraph counts.
            anchor = next((p for p in group if ctx.models[p.message].role == "system"), None)
            if anchor is None:
                continue
            for para in group:
                if para.message == anchor.message or para.span == anchor.span or para.span in reported:
                    continue
                reported.add(para.span)
                yield self.report(para.span, f"this paragraph repeats one from the system message (message "
                                  f"{anchor.message + 1})", labels=[Label(anchor.span, "first written here")],
                                  notes=("say it once; if the repetition is deliberate, move it into a fragment "
                                         "and inline that in both messages",))


def _own_paragraphs(doc: Document, index: int, module: str) -> Iterable[_Paragraph]:
    """Paragraphs of a message made only of the module's own text (message text, its
    local fragments, and input placeholders)."""
    text = doc.text
    for start, end in paragraphs(text):
        para = text[start:end]
        if word_count(para) < MIN_WORDS:
            continue
        pieces = [p for p in doc.pieces if p.start < end and p.end > start]
        if any(p.fragment is not None and p.fragment.module != module for p in pieces):
            continue
        line_end = text.find("\n", start, end)
        span = doc.span(start, end if line_end < 0 else line_end)
        if span is not None:
            yield _Paragraph(paragraph_key(para), span, index)


def _use_note(syntax: ast.Module, std_module: str, fragment: str) -> str:
    """How to inline the stdlib fragment, reusing an import the module already has."""
    parts = tuple(std_module.split("."))
    for decl in syntax.of(ast.Import):
        if decl.module == parts:
            return f"replace it with `{{{{ {decl.binding.text}.{fragment} }}}}`"
    for decl in syntax.of(ast.FromImport):
        if decl.level == 0 and decl.module == parts:
            for item in decl.items:
                if item.name.text == fragment:
                    return f"replace it with `{{{{ {item.binding.text} }}}}`"
    return f"`import {std_module}` and replace it with `{{{{ {parts[-1]}.{fragment} }}}}`"
