"""The promptc language server: pygls over stdio, thin handlers over `workspace`.

Diagnostics are computed by the same driver as `promptc check`, from the unsaved buffers,
in one worker thread (compilations never overlap), debounced per document. Requests
(hover, definition, symbols, completion) read the latest analysis; hover and definition
first wait for the analysis of the text the editor shows. References and rename compile
the whole project (open buffers as overlays) in the same worker; formatting runs
`promptc.fmt`; code actions turn published diagnostics' fixes and did-you-mean notes
into quick fixes (refactor.py).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from .. import __version__, driver
from ..fmt import FormatterBug, format_source
from ..source import SourceFile, Span
from ..syntax import parse_module
from .completion import Context, complete
from .hover import hover_markdown
from .positions import encoding_name, from_position, lines_of, to_range
from .protocol import completion_item, diagnostic
from .refactor import RenameError, actions_for, plan_rename, references, target_at
from .symbols import document_symbols
from .workspace import Analysis, Document, Job, Publication, Workspace

log = logging.getLogger("promptc.lsp")

TRIGGER_CHARACTERS = [".", "{", " ", ":", "|", "(", "%", "["]


@dataclass(frozen=True)
class Settings:
    """The server's settings, from the client's `initializationOptions`."""

    debounce_ms: int = 150

    @classmethod
    def from_options(cls, options: Any) -> "Settings":
        if not isinstance(options, dict):
            return cls()
        debounce = options.get("debounceMs", options.get("debounce_ms", cls.debounce_ms))
        try:
            return cls(debounce_ms=max(0, int(debounce)))
        except (TypeError, ValueError):
            return cls()


class PromptcServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("promptc", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.state = Workspace()
        self.settings = Settings()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promptc-check")
        self._timers: dict[str, asyncio.Task] = {}  # uri → a debounce still sleeping
        self._running: dict[str, tuple[int | None, asyncio.Task]] = {}  # uri → (version, check)

    @property
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    # --- scheduling -----------------------------------------------------------------------
    def schedule(self, uri: str) -> None:
        """Check a document once it has been left alone for the debounce delay."""
        self._cancel_timer(uri)
        self._timers[uri] = asyncio.ensure_future(self._debounced(uri))

    def _cancel_timer(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    async def _debounced(self, uri: str) -> None:
        await asyncio.sleep(self.settings.debounce_ms / 1000)
        if self._timers.get(uri) is asyncio.current_task():
            del self._timers[uri]  # from here on the check runs to the end
        await self.start([uri])

    def start(self, uris: list[str], closed: tuple[Document, ...] = ()) -> asyncio.Task:
        task = asyncio.ensure_future(self.check(uris, closed))
        for uri in uris:
            doc = self.state.documents.get(uri)
            if doc is not None:
                self._running[uri] = (doc.version, task)

        def done(t: asyncio.Task) -> None:
            for uri in uris:
                if self._running.get(uri, (None, None))[1] is t:
                    del self._running[uri]
        task.add_done_callback(done)
        return task

    async def check(self, uris: list[str], closed: tuple[Document, ...] = ()) -> None:
        docs = [self.state.documents[u] for u in uris if u in self.state.documents] + list(closed)
        loop = asyncio.get_running_loop()
        for job in self.state.jobs(docs):
            try:
                result = await loop.run_in_executor(self._executor, Workspace.run, job)
            except driver.UsageError as exc:
                publications = self.state.failed(job, str(exc))
            except Exception:  # a compiler bug: log it, keep serving
                log.exception("checking %s failed", ", ".join(job.documents))
                continue
            else:
                publications = self.state.record(job, result)
            for publication in publications:
                self.publish(job, publication)

    def publish(self, job: Job, p: Publication) -> None:
        def locate(span):
            return self.state.location_of(job.project, span)
        diagnostics = [diagnostic(d, p.line_text, self.encoding, locate) for d in p.diagnostics]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=p.uri, diagnostics=diagnostics, version=p.version))

    async def analysis(self, uri: str, fresh: bool = True) -> Analysis | None:
        """The analysis of a document; with `fresh`, of the text the editor shows now."""
        doc = self.state.documents.get(uri)
        if doc is None or not doc.is_module:
            return None
        current = self.state.analyses.get(uri)
        if current is not None and (current.version == doc.version or not fresh):
            return current
        self._cancel_timer(uri)
        running = self._running.get(uri)
        task = running[1] if running is not None and running[0] == doc.version else self.start([uri])
        await asyncio.shield(task)
        return self.state.analyses.get(uri) or current

    async def whole_project(self, uri: str):
        """The document and a compilation of its whole project, or None."""
        doc = self.state.documents.get(uri)
        if doc is None or not doc.is_module:
            return None
        job = self.state.project_job(doc)
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, Workspace.run, job)
        except driver.UsageError:
            return None
        return doc, job.project, result

    def locations(self, project, spans: list[Span]) -> list[lsp.Location]:
        out = []
        for span in spans:
            found = self.state.location_of(project, span)
            if found is not None:
                uri, lines = found
                out.append(lsp.Location(uri=uri, range=to_range(lines, span, self.encoding)))
        return out

    def position(self, analysis_text: str, position: lsp.Position) -> tuple[int, int]:
        return from_position(lines_of(analysis_text), position, self.encoding)


server = PromptcServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: PromptcServer, params: lsp.InitializeParams) -> None:
    ls.settings = Settings.from_options(params.initialization_options)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: PromptcServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = ls.state.open(item.uri, item.text, item.version)
    if doc is not None and doc.is_module:
        ls.start([doc.uri])


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: PromptcServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    doc = ls.state.update(uri, text, params.text_document.version)
    if doc is not None and doc.is_module:
        ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: PromptcServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls._cancel_timer(params.text_document.uri)
    doc = ls.state.close(params.text_document.uri)
    if doc is not None and doc.is_module:
        ls.start([], closed=(doc,))  # back to the file on disk, for it and its importers


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: PromptcServer, params: lsp.DidSaveTextDocumentParams) -> None:
    before = dict(ls.state.projects)
    ls.state.saved(params.text_document.uri)
    if ls.state.projects != before:
        ls.start([uri for uri, d in ls.state.documents.items() if d.is_module])


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: PromptcServer, params: lsp.HoverParams) -> lsp.Hover | None:
    analysis = await ls.analysis(params.text_document.uri)
    index = analysis.index() if analysis else None
    if index is None:
        return None
    line, column = ls.position(analysis.text, params.position)
    occ = index.at(line, column)
    if occ is None:
        return None
    text = hover_markdown(occ.target, analysis.result, analysis.checked)
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=to_range(lines_of(analysis.text), occ.span, ls.encoding))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: PromptcServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    analysis = await ls.analysis(params.text_document.uri)
    index = analysis.index() if analysis else None
    if index is None:
        return None
    occ = index.at(*ls.position(analysis.text, params.position))
    if occ is None or occ.target.span is None:
        return None
    found = ls.state.location_of(analysis.result.project, occ.target.span)
    if found is None:
        return None
    uri, lines = found
    return [lsp.Location(uri=uri, range=to_range(lines, occ.target.span, ls.encoding))]


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def symbols(ls: PromptcServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
    uri = params.text_document.uri
    doc = ls.state.documents.get(uri)
    if doc is None or not doc.is_module:
        return None
    current = ls.state.analyses.get(uri)
    if current is not None and current.version == doc.version and current.checked is not None:
        module = current.checked.syntax
    else:
        src = SourceFile(doc.path.name, doc.text, doc.module)
        module = (await asyncio.get_running_loop().run_in_executor(ls._executor, parse_module, src))[0]
    lines = lines_of(doc.text)

    def text_of(span) -> str:
        if span.line == span.end_line:
            return lines(span.line)[span.column - 1:span.end_column - 1]
        return lines(span.line)[span.column - 1:] + " …"
    return document_symbols(module, lambda span: to_range(lines, span, ls.encoding), text_of)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False))
async def completion(ls: PromptcServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    uri = params.text_document.uri
    doc = ls.state.documents.get(uri)
    if doc is None or not doc.is_module:
        return None
    # The buffer being typed in rarely compiles: names come from the latest analysis.
    analysis = ls.state.analyses.get(uri) or await ls.analysis(uri)
    project = ls.state.project_for(doc.path)
    ctx = Context(bindings=analysis.bindings() if analysis else None, module=doc.module,
                  module_names=lambda: ls.state.module_names(project),
                  exports_of=lambda module: ls.state.exports_for(doc, module))
    lines = lines_of(doc.text)
    line, column = from_position(lines, params.position, ls.encoding)
    items = complete(doc.text, line, column, ctx)
    return lsp.CompletionList(is_incomplete=False,
                              items=[completion_item(i, line, column, lines, ls.encoding) for i in items])


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def find_references(ls: PromptcServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    found = await ls.whole_project(params.text_document.uri)
    if found is None:
        return None
    doc, project, result = found
    target = target_at(result, doc.module, *ls.position(doc.text, params.position))
    if target is None:
        return None
    include = params.context.include_declaration if params.context else True
    return ls.locations(project, references(result, target, include)) or None


@server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=False))
async def rename(ls: PromptcServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    found = await ls.whole_project(params.text_document.uri)
    if found is None:
        return None
    doc, project, result = found
    target = target_at(result, doc.module, *ls.position(doc.text, params.position))
    try:
        plan = plan_rename(result, target, params.new_name, lambda span: ls.state.lines_for(project, span))
    except RenameError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for loc in ls.locations(project, plan.spans):
        changes.setdefault(loc.uri, []).append(lsp.TextEdit(range=loc.range, new_text=params.new_name))
    return lsp.WorkspaceEdit(changes=changes)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
async def formatting(ls: PromptcServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    doc = ls.state.documents.get(params.text_document.uri)
    if doc is None or not doc.is_module:
        return None
    src = SourceFile(doc.path.name, doc.text, doc.module)
    try:
        formatted = await asyncio.get_running_loop().run_in_executor(ls._executor, format_source, src)
    except FormatterBug:
        log.exception("formatting %s failed", doc.uri)
        return None
    if formatted.text is None or formatted.text == doc.text:
        return [] if formatted.text is not None else None
    lines = lines_of(doc.text)
    last = doc.text.count("\n") + 1
    whole = Span(src.path, 1, 1, last, len(lines(last)) + 1)
    return [lsp.TextEdit(range=to_range(lines, whole, ls.encoding), new_text=formatted.text)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
async def code_action(ls: PromptcServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    doc = ls.state.documents.get(uri)
    if doc is None or not doc.is_module:
        return None
    if params.context.only and lsp.CodeActionKind.QuickFix not in params.context.only:
        return None
    lines = lines_of(doc.text)
    start = ls.position(doc.text, params.range.start)
    end = ls.position(doc.text, params.range.end)
    out: list[lsp.CodeAction] = []
    for d in ls.state.published.get(uri, ()):
        s = d.span
        if s is None or (s.end_line, s.end_column) < start or end < (s.line, s.column):
            continue
        shown = diagnostic(d, lines, ls.encoding, lambda span: None)
        for action in actions_for(d, doc.text, doc.path.name):
            edit = lsp.TextEdit(range=to_range(lines, action.span, ls.encoding), new_text=action.replacement)
            out.append(lsp.CodeAction(title=action.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown],
                                      is_preferred=action.preferred or None,
                                      edit=lsp.WorkspaceEdit(changes={uri: [edit]})))
    return out or None


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: PromptcServer, params: Any) -> None:
    for uri in list(ls._timers):
        ls._cancel_timer(uri)
    ls._executor.shutdown(wait=False, cancel_futures=True)


def serve() -> None:
    """Serve over stdin and stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="promptc-lsp %(levelname)s: %(message)s")
    server.start_io()


if __name__ == "__main__":  # pragma: no cover
    serve()
