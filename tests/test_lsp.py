"""The language server, end to end: a real client drives `promptc lsp` over JSON-RPC.

Positions on the wire are 0-based with UTF-16 columns; the modules below put emoji (two
UTF-16 units) and CJK characters (one unit) before the names they test.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from click.testing import CliRunner  # noqa: E402
from lsprotocol import types as t  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from promptc.lsp.positions import column_at, lines_of, to_range, units_before  # noqa: E402
from promptc.source import Span  # noqa: E402

CONFIG = '[project]\nname = "t"\nsources = ["prompts"]\n'

TONE = '''\
type Level = "low" | "high"

tool search_kb(query: str, limit: int = 5) "Search help-center articles."

fragment friendly """
Be friendly and plain.
"""

fragment level_note(level: Level) """
The level is {{ level }}.
"""
'''

ANSWER = '''\
---
version: 1.0.0
purpose: Answer a question.
owner: support@acme.example
model: {name: gpt-4o}
---
import shared.tone
from shared.tone import friendly, search_kb, Level

type Turn { role: "customer" | "agent", text: str(max_len=2000) }

input customer_name: str(max_len=80)
input level: Level = "low"
input history: list[Turn] = []

fragment sign(team: str) """
-- {{ team }}
"""

system """
🙂 你好 {{ customer_nam }}!
{{ friendly }}
{{ tone.level_note(level=level) }}
Search with {{ tools.search_kb }}.
{{ sign(team="support") }}
"""

user """
{% for turn in history %}{{ turn.role }}: {{ turn.text }}
{% endfor %}
"""
'''


# --- the client -----------------------------------------------------------------------------

def _client() -> LanguageClient:
    client = LanguageClient()
    client.published = []  # every publishDiagnostics, in order, with its version

    def publish(c: LanguageClient, params: t.PublishDiagnosticsParams) -> None:
        c.published.append(params)
        c.diagnostics[params.uri] = params.diagnostics
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "promptc.cli", "lsp"],
                                               client_factory=_client))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    (tmp_path / "promptc.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "prompts" / "shared").mkdir(parents=True)
    (tmp_path / "prompts" / "shared" / "tone.prompt").write_text(TONE, encoding="utf-8")
    (tmp_path / "prompts" / "answer.prompt").write_text(ANSWER, encoding="utf-8")
    lsp_client.root = tmp_path
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=tmp_path.as_uri(),
        initialization_options={"debounceMs": 50}))
    yield
    await lsp_client.shutdown_session()


def uri_of(client: LanguageClient, rel: str) -> str:
    return (client.root / "prompts" / rel).as_uri()


def open_doc(client: LanguageClient, rel: str, text: str | None = None) -> str:
    uri = uri_of(client, rel)
    text = text if text is not None else (client.root / "prompts" / rel).read_text(encoding="utf-8")
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="promptc", version=1, text=text)))
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [t.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client: LanguageClient, uri: str, since: int = 0, version: int | None = None,
                    timeout: float = 30.0) -> t.PublishDiagnosticsParams:
    """The first publication for `uri` after the first `since` ones (of `version`, if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in client.published[since:]:
            if p.uri == uri and (version is None or p.version == version):
                return p
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics for {uri} (version {version}) within {timeout}s")


def position_of(text: str, needle: str, offset: int = 0) -> t.Position:
    """The LSP position (UTF-16 columns) of `needle`'s first occurrence, plus `offset` units."""
    for i, line in enumerate(text.split("\n")):
        at = line.find(needle)
        if at >= 0:
            return t.Position(line=i, character=len(line[:at].encode("utf-16-le")) // 2 + offset)
    raise AssertionError(f"{needle!r} not in text")


# --- positions (the protocol edge) -------------------------------------------------------------

def test_positions_count_utf16_units_before_the_column():
    line = "🙂 你好 {{ x }}"
    # code points: 🙂=1, space, 你, 好, space, {, {, space, x → x is column 9
    assert line[8] == "x"
    assert units_before(line, 9) == 9  # the emoji is two UTF-16 units
    assert units_before(line, 9, "utf-8") == 4 + 1 + 3 + 3 + 1 + 3
    assert units_before(line, 9, "utf-32") == 8
    assert column_at(line, 9) == 9
    assert column_at(line, 1) == 1  # inside the surrogate pair: the emoji itself
    assert column_at(line, 2) == 2
    r = to_range(lines_of(f"first\n{line}\n"), Span("a.prompt", 2, 9, 2, 10))
    assert (r.start.line, r.start.character, r.end.line, r.end.character) == (1, 9, 1, 10)


def test_positions_round_trip_on_ascii_and_past_the_end():
    assert units_before("abc", 4) == 3
    assert units_before("abc", 6) == 5  # columns past the end count one each
    assert column_at("abc", 3) == 4
    for text in ("plain", "日本語のテキスト", "a😀b😀c", ""):
        for col in range(1, len(text) + 2):
            assert column_at(text, units_before(text, col)) == col


# --- diagnostics ---------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_undeclared_variable_at_its_exact_utf16_range_then_cleared(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    p = await published(client, uri)
    assert p.version == 1
    [d] = p.diagnostics
    assert d.code == "PC104"
    assert d.source == "promptc"
    assert d.severity == t.DiagnosticSeverity.Error
    assert "`customer_nam` is not declared" in d.message and "customer_name" in d.message
    # "🙂 你好 {{ customer_nam }}!": the name starts at code point 9, UTF-16 unit 9
    line = ANSWER.split("\n").index("🙂 你好 {{ customer_nam }}!")
    assert (d.range.start.line, d.range.start.character) == (line, 9)
    assert (d.range.end.line, d.range.end.character) == (line, 9 + len("customer_nam"))

    since = len(client.published)
    change(client, uri, 2, ANSWER.replace("customer_nam }}", "customer_name }}"))
    p = await published(client, uri, since, version=2)
    assert list(p.diagnostics) == []


@pytest.mark.asyncio
async def test_related_information_comes_from_labels(client: LanguageClient):
    text = ANSWER.replace("input level: Level", "input history: str\ninput level: Level")
    uri = open_doc(client, "answer.prompt", text)
    p = await published(client, uri)
    dup = next(d for d in p.diagnostics if d.code == "PC106")
    [related] = dup.related_information
    assert related.message == "first defined here"
    assert related.location.uri == uri
    assert related.location.range.start == position_of(text, "history")


@pytest.mark.asyncio
async def test_breaking_an_imported_module_updates_the_importer(client: LanguageClient):
    answer = open_doc(client, "answer.prompt", ANSWER.replace("customer_nam }}", "customer_name }}"))
    assert list((await published(client, answer)).diagnostics) == []
    tone = open_doc(client, "shared/tone.prompt")
    await published(client, tone)

    since = len(client.published)
    change(client, tone, 2, TONE.replace("fragment friendly", "fragment friendlier"))
    p = await published(client, answer, since)
    assert [d.code for d in p.diagnostics] == ["PC102"]  # `from shared.tone import friendly`
    assert "has no fragment, type or tool `friendly`" in p.diagnostics[0].message
    assert p.diagnostics[0].range.start == position_of(ANSWER, "friendly,")

    since = len(client.published)
    change(client, tone, 3, TONE)
    p = await published(client, answer, since)
    assert list(p.diagnostics) == []


@pytest.mark.asyncio
async def test_unsaved_buffers_are_checked_not_the_files(client: LanguageClient):
    uri = open_doc(client, "answer.prompt", ANSWER.replace("{{ customer_nam }}", "{{ missing }}"))
    p = await published(client, uri)
    assert [d.message.split("\n")[0] for d in p.diagnostics] == ["`missing` is not declared"]


# --- hover -----------------------------------------------------------------------------------

async def hover_at(client: LanguageClient, uri: str, text: str, needle: str, offset: int = 1) -> str:
    h = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri=uri),
                                                             position_of(text, needle, offset)))
    assert h is not None, needle
    return h.contents.value


@pytest.mark.asyncio
async def test_hover(client: LanguageClient):
    text = ANSWER.replace("customer_nam }}", "customer_name }}")
    uri = open_doc(client, "answer.prompt", text)
    await published(client, uri)

    shown = await hover_at(client, uri, text, "customer_name }}")
    assert "input customer_name: str(max_len=80)" in shown
    assert "`max_len=80`" in shown and "Required." in shown

    shown = await hover_at(client, uri, text, "level=level", len("level="))
    assert 'input level: Level = "low"' in shown and '"low" | "high"' in shown

    shown = await hover_at(client, uri, text, "friendly }}")
    assert "fragment friendly" in shown and "Be friendly and plain." in shown

    shown = await hover_at(client, uri, text, "search_kb }}")
    assert "tool search_kb(query: str, limit: int = 5)" in shown
    assert "Search help-center articles." in shown

    shown = await hover_at(client, uri, text, "system")
    assert "system message 1 of 2" in shown
    assert "tokens** of static text (o200k_base, exact)" in shown

    shown = await hover_at(client, uri, text, "turn.role", 1)
    assert "(loop variable) turn: Turn" in shown
    shown = await hover_at(client, uri, text, "role }}")
    assert '"customer" | "agent"' in shown


@pytest.mark.asyncio
async def test_hover_waits_for_the_text_on_screen(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    await published(client, uri)
    text = ANSWER.replace("input history", "input region: str(min_len=2)\ninput history")
    change(client, uri, 2, text)
    shown = await hover_at(client, uri, text, "region")
    assert "input region: str(min_len=2)" in shown


# --- definition ----------------------------------------------------------------------------

async def definition_at(client: LanguageClient, uri: str, text: str, needle: str, offset: int = 1) -> t.Location:
    found = await client.text_document_definition_async(t.DefinitionParams(
        t.TextDocumentIdentifier(uri=uri), position_of(text, needle, offset)))
    assert found, needle
    return found[0]


@pytest.mark.asyncio
async def test_definition(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    await published(client, uri)
    tone = uri_of(client, "shared/tone.prompt")

    loc = await definition_at(client, uri, ANSWER, "import shared.tone", len("import s"))
    assert loc.uri == tone and loc.range.start == t.Position(line=0, character=0)

    loc = await definition_at(client, uri, ANSWER, "{{ friendly }}", 4)
    assert loc.uri == tone and loc.range.start == position_of(TONE, "friendly")

    loc = await definition_at(client, uri, ANSWER, "level_note(", 2)
    assert loc.uri == tone and loc.range.start == position_of(TONE, "level_note")

    loc = await definition_at(client, uri, ANSWER, "tools.search_kb", len("tools.s"))
    assert loc.uri == tone and loc.range.start == position_of(TONE, "search_kb")

    loc = await definition_at(client, uri, ANSWER, "Level = ", 1)
    assert loc.uri == tone and loc.range.start == position_of(TONE, "Level")

    loc = await definition_at(client, uri, ANSWER, "level=level", len("level=l"))
    assert loc.uri == uri and loc.range.start == position_of(ANSWER, "level: Level")

    loc = await definition_at(client, uri, ANSWER, "list[Turn]", len("list[T"))
    assert loc.uri == uri and loc.range.start == position_of(ANSWER, "Turn {")

    loc = await definition_at(client, uri, ANSWER, "turn.role", 1)
    assert loc.uri == uri and loc.range.start == position_of(ANSWER, "turn in history")

    loc = await definition_at(client, uri, ANSWER, "{{ team }}", 4)
    assert loc.uri == uri and loc.range.start == position_of(ANSWER, "team: str")


# --- document symbols -------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_document_symbols(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    symbols = await client.text_document_document_symbol_async(
        t.DocumentSymbolParams(text_document=t.TextDocumentIdentifier(uri=uri)))
    outline = [(s.name, s.kind) for s in symbols]
    assert outline == [
        ("shared.tone", t.SymbolKind.Module), ("shared.tone", t.SymbolKind.Module),
        ("Turn", t.SymbolKind.Struct), ("customer_name", t.SymbolKind.Variable),
        ("level", t.SymbolKind.Variable), ("history", t.SymbolKind.Variable),
        ("sign", t.SymbolKind.Function), ("system", t.SymbolKind.Event), ("user", t.SymbolKind.Event)]
    turn = symbols[2]
    assert [c.name for c in turn.children] == ["role", "text"]
    assert symbols[3].detail == "str(max_len=80)"
    assert symbols[3].selection_range.start == position_of(ANSWER, "customer_name")


# --- completion ----------------------------------------------------------------------------

async def complete_at(client: LanguageClient, uri: str, version: int, text: str, marker: str = "‸") -> list:
    """Complete where `marker` stands in `text` (the marker is removed)."""
    position = position_of(text, marker)
    change(client, uri, version, text.replace(marker, ""))
    result = await client.text_document_completion_async(t.CompletionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position))
    return result.items


@pytest.mark.asyncio
async def test_completion(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    await published(client, uri)

    items = await complete_at(client, uri, 2, ANSWER.replace("🙂 你好 {{ customer_nam }}!", "🙂 你好 {{ cu‸"))
    labels = [i.label for i in items]
    assert {"customer_name", "level", "history", "friendly", "sign", "tone", "tools"} <= set(labels)
    item = next(i for i in items if i.label == "customer_name")
    # the edit replaces the typed `cu`, in UTF-16 columns after the emoji and CJK
    assert item.text_edit.range.start.character == 9 and item.text_edit.range.end.character == 11
    assert "turn" not in labels  # not inside the loop

    items = await complete_at(client, uri, 3, ANSWER.replace("{{ turn.text }}", "{{ t‸ }}"))
    assert {"turn", "loop"} <= {i.label for i in items}

    items = await complete_at(client, uri, 4, ANSWER.replace("{{ turn.text }}", "{{ turn.‸ }}"))
    assert [i.label for i in items] == ["role", "text"]

    items = await complete_at(client, uri, 5, ANSWER.replace("{{ tools.search_kb }}", "{{ tools.‸ }}"))
    assert [i.label for i in items] == ["search_kb"]
    assert items[0].detail == "tool search_kb(query: str, limit: int = 5)"

    items = await complete_at(client, uri, 6, ANSWER.replace("{{ tone.level_note", "{{ tone.‸level_note"))
    assert {i.label for i in items} == {"friendly", "level_note"}

    items = await complete_at(client, uri, 7, ANSWER.replace("input history: list[Turn]", "input history: ‸"))
    labels = {i.label for i in items}
    assert {"str", "int", "float", "bool", "list", "map", "Turn", "Level"} <= labels

    items = await complete_at(client, uri, 8, ANSWER.replace("import shared.tone\n", "import sh‸\n"))
    assert "shared.tone" in {i.label for i in items} and "std.safety.pii" in {i.label for i in items}
    item = next(i for i in items if i.label == "shared.tone")
    assert item.text_edit.range.start.character == len("import ")

    items = await complete_at(client, uri, 9, ANSWER.replace("from shared.tone import friendly, search_kb, Level",
                                                              "from shared.tone import friendly, ‸"))
    assert {i.label for i in items} == {"level_note", "Level", "search_kb"}

    items = await complete_at(client, uri, 10, ANSWER.replace("purpose: Answer a question.\n", "pu‸\n"))
    labels = {i.label for i in items}
    assert {"purpose", "risk", "tags", "tech_owner"} <= labels
    assert not {"version", "owner", "model"} & labels  # already there, above and below

    items = await complete_at(client, uri, 11, ANSWER.replace("model: {name: gpt-4o}", "model: {name: gpt-4o, ‸}"))
    labels = {i.label for i in items}
    assert {"temperature", "max_tokens"} <= labels and "name" not in labels

    items = await complete_at(client, uri, 12, ANSWER.replace("-- {{ team }}", "-- {{ ‸ }}"))
    labels = {i.label for i in items}
    assert "team" in labels and "customer_name" not in labels  # fragments see only their parameters


# --- the command -----------------------------------------------------------------------------

def test_lsp_command_without_pygls_says_what_to_install(monkeypatch):
    from promptc import cli

    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.setitem(sys.modules, "pygls.lsp", None)
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    monkeypatch.delitem(sys.modules, "promptc.lsp.server", raising=False)
    result = CliRunner().invoke(cli.main, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'promptc[lsp]'" in result.output


# --- robustness (in process) -------------------------------------------------------------------

def test_completion_and_lookup_never_fail_anywhere_in_a_module(tmp_path: Path):
    """Every cursor position of a module, and every truncation of it (as while typing)."""
    from promptc.lsp.completion import Context, complete
    from promptc.lsp.hover import hover_markdown
    from promptc.lsp.workspace import Workspace

    (tmp_path / "promptc.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "prompts" / "shared").mkdir(parents=True)
    (tmp_path / "prompts" / "shared" / "tone.prompt").write_text(TONE, encoding="utf-8")
    (tmp_path / "prompts" / "answer.prompt").write_text(ANSWER, encoding="utf-8")
    ws = Workspace()
    doc = ws.open((tmp_path / "prompts" / "answer.prompt").as_uri(), ANSWER, 1)
    [job] = ws.jobs([doc])
    ws.record(job, ws.run(job))
    analysis = ws.analyses[doc.uri]
    index = analysis.index()
    ctx = Context(analysis.bindings(), doc.module, lambda: ws.module_names(ws.project_for(doc.path)),
                  lambda module: ws.exports_for(doc, module))
    hovered = 0
    for number, line in enumerate(ANSWER.split("\n"), 1):
        for column in range(1, len(line) + 2):
            complete(ANSWER, number, column, ctx)
            occ = index.at(number, column)
            if occ is not None and hover_markdown(occ.target, analysis.result, analysis.checked):
                hovered += 1
    assert hovered > 100
    for cut in range(0, len(ANSWER), 3):
        text = ANSWER[:cut]
        complete(text, text.count("\n") + 1, len(text.split("\n")[-1]) + 1, ctx)
