"""promptc data → LSP data: diagnostics, completion items, locations.

Every conversion of a span goes through `positions`, with the encoding the client and
server agreed on.
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types as lsp

from ..diagnostics import Diagnostic, Severity
from ..source import Span
from .completion import Item
from .positions import LineText, to_range

SOURCE = "promptc"

#: Finds a span's document: its URI and the lines its columns count in.
Locate = Callable[[Span], "tuple[str, LineText] | None"]

_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.INFO: lsp.DiagnosticSeverity.Information}

_KIND = {"variable": lsp.CompletionItemKind.Variable, "fragment": lsp.CompletionItemKind.Snippet,
         "module": lsp.CompletionItemKind.Module, "tool": lsp.CompletionItemKind.Function,
         "type": lsp.CompletionItemKind.Class, "keyword": lsp.CompletionItemKind.Keyword,
         "property": lsp.CompletionItemKind.Property, "field": lsp.CompletionItemKind.Field,
         "filter": lsp.CompletionItemKind.Function, "value": lsp.CompletionItemKind.Value}


def diagnostic(d: Diagnostic, line_text: LineText, encoding: str, locate: Locate) -> lsp.Diagnostic:
    message = d.message
    extra = [f"imported from {step}" for step in d.import_chain]
    extra += [note if note.startswith("note:") else f"help: {note}" for note in d.notes]
    if d.fix:
        extra.append(f"fix: {d.fix.message}")
    if extra:
        message += "\n" + "\n".join(extra)
    related = []
    for label in d.labels:
        found = locate(label.span)
        if found is not None:
            uri, lines = found
            related.append(lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=uri, range=to_range(lines, label.span, encoding)), message=label.message))
    tags = [lsp.DiagnosticTag.Unnecessary] if d.code.name.startswith("unused-") else None
    return lsp.Diagnostic(range=to_range(line_text, d.span, encoding), message=message,
                          severity=_SEVERITY[d.severity], code=d.code.id, source=SOURCE,
                          related_information=related or None, tags=tags, data={"rule": d.code.name})


def completion_item(item: Item, line: int, column: int, line_text: LineText, encoding: str) -> lsp.CompletionItem:
    """`line`/`column` are the cursor's; the item replaces the text from its start column."""
    edit = None
    if item.start_column is not None:
        span = Span("", line, item.start_column, line, column)
        edit = lsp.TextEdit(range=to_range(line_text, span, encoding), new_text=item.insert_text or item.label)
    doc = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=f"```jinja\n{item.documentation}\n```") \
        if item.documentation and item.kind == "fragment" else item.documentation
    return lsp.CompletionItem(label=item.label, kind=_KIND.get(item.kind), detail=item.detail, documentation=doc,
                              text_edit=edit, insert_text=None if edit else item.insert_text)
