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

from tests.needs import missing

pytest.importorskip("pygls", reason=missing("python-extra", "the language server's tests need pygls"))
pytest_lsp = pytest.importorskip("pytest_lsp", reason=missing("python-extra", "the language server's tests need pytest-lsp"))

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


# --- references and rename (across the project) ------------------------------------------------

OTHER = '''\
---
version: 1.0.0
purpose: Another prompt.
owner: support@acme.example
---
from shared.tone import friendly as kind, level_note
import shared.tone as t

input note: str = "x"

system """
😀😀 {{ kind }} {{ t.friendly }} {{ level_note(level="low") }}
"""
'''

FIXED = ANSWER.replace("customer_nam }}", "customer_name }}")


def project_with_other(client: LanguageClient) -> None:
    (client.root / "prompts" / "other.prompt").write_text(OTHER, encoding="utf-8")


def where(locations) -> list[tuple[str, int, int, int]]:
    return sorted((loc.uri.rsplit("/", 1)[-1], loc.range.start.line, loc.range.start.character,
                   loc.range.end.character) for loc in locations)


def at(text: str, needle: str, offset: int = 0, length: int | None = None, name: str = "") -> tuple:
    p = position_of(text, needle, offset)
    return (name, p.line, p.character, p.character + (length if length is not None else len(needle) - offset))


async def references_at(client, uri, text, needle, offset=1, include=True):
    return await client.text_document_references_async(t.ReferenceParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position_of(text, needle, offset),
        context=t.ReferenceContext(include_declaration=include)))


@pytest.mark.asyncio
async def test_references_across_the_project(client: LanguageClient):
    project_with_other(client)
    uri = open_doc(client, "answer.prompt", FIXED)
    await published(client, uri)

    found = await references_at(client, uri, FIXED, "{{ friendly }}", 4)
    assert where(found) == sorted([
        at(FIXED, "friendly,", 0, 8, "answer.prompt"), at(FIXED, "friendly }}", 0, 8, "answer.prompt"),
        at(TONE, "friendly", 0, 8, "tone.prompt"),
        at(OTHER, "friendly as", 0, 8, "other.prompt"), at(OTHER, "kind,", 0, 4, "other.prompt"),
        at(OTHER, "kind }}", 0, 4, "other.prompt"),
        at(OTHER, "friendly }}", 0, 8, "other.prompt")])
    # the emoji before `kind` count two UTF-16 units each
    assert ("other.prompt", 11, 2 * 2 + 1 + 3, 2 * 2 + 1 + 3 + 4) in where(found)

    found = await references_at(client, uri, FIXED, "{{ friendly }}", 4, include=False)
    assert "tone.prompt" not in {name for name, *_ in where(found)}

    found = await references_at(client, uri, FIXED, "level=level", len("level=l"))
    assert where(found) == sorted([at(FIXED, "level: Level", 0, 5, "answer.prompt"),
                                   at(FIXED, "level=level", len("level="), 5, "answer.prompt")])

    found = await references_at(client, uri, FIXED, "Level = ", 1)
    assert where(found) == sorted([at(FIXED, "Level = ", 0, 5, "answer.prompt"),
                                   at(FIXED, "search_kb, Level", len("search_kb, "), 5, "answer.prompt"),
                                   at(TONE, "Level =", 0, 5, "tone.prompt"),
                                   at(TONE, "level: Level", len("level: "), 5, "tone.prompt")])

    found = await references_at(client, uri, FIXED, "tools.search_kb", len("tools.s"))
    assert where(found) == sorted([at(FIXED, "search_kb,", 0, 9, "answer.prompt"),
                                   at(FIXED, "search_kb }}", 0, 9, "answer.prompt"),
                                   at(TONE, "search_kb", 0, 9, "tone.prompt")])


async def rename_at(client, uri, text, needle, new_name, offset=1):
    return await client.text_document_rename_async(t.RenameParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position_of(text, needle, offset),
        new_name=new_name))


def apply(text: str, edits: list[t.TextEdit]) -> str:
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert e.range.start.line == e.range.end.line
        line = lines[e.range.start.line].encode("utf-16-le")
        s, n = e.range.start.character * 2, e.range.end.character * 2
        lines[e.range.start.line] = (line[:s] + e.new_text.encode("utf-16-le") + line[n:]).decode("utf-16-le")
    return "\n".join(lines)


@pytest.mark.asyncio
async def test_rename_a_fragment_across_the_project(client: LanguageClient):
    project_with_other(client)
    uri = open_doc(client, "answer.prompt", FIXED)
    await published(client, uri)
    edit = await rename_at(client, uri, FIXED, "{{ friendly }}", "warm", 4)
    names = {u.rsplit("/", 1)[-1]: edits for u, edits in edit.changes.items()}
    assert set(names) == {"answer.prompt", "tone.prompt", "other.prompt"}
    assert apply(FIXED, names["answer.prompt"]) == FIXED.replace("friendly", "warm")
    assert apply(TONE, names["tone.prompt"]) == TONE.replace("fragment friendly", "fragment warm")
    # the alias `kind` is left alone; the emoji line keeps its other names
    assert apply(OTHER, names["other.prompt"]) == OTHER.replace("friendly", "warm")


@pytest.mark.asyncio
async def test_rename_an_input_after_emoji_and_cjk(client: LanguageClient):
    uri = open_doc(client, "answer.prompt", FIXED)
    await published(client, uri)
    edit = await rename_at(client, uri, FIXED, "customer_name }}", "client")
    [(target, edits)] = edit.changes.items()
    assert target == uri
    line = FIXED.split("\n").index("🙂 你好 {{ customer_name }}!")
    assert any(e.range.start == t.Position(line=line, character=9)
               and e.range.end == t.Position(line=line, character=9 + len("customer_name")) for e in edits)
    assert apply(FIXED, edits) == FIXED.replace("customer_name", "client")

    edit = await rename_at(client, uri, FIXED, "level=level", "tier", len("level="))
    [(_, edits)] = edit.changes.items()
    assert apply(FIXED, edits) == FIXED.replace("input level:", "input tier:").replace("level=level", "level=tier")


@pytest.mark.asyncio
async def test_rename_refuses_bad_names_and_collisions(client: LanguageClient):
    uri = open_doc(client, "answer.prompt", FIXED)
    await published(client, uri)
    for needle, new_name, offset, says in [
            ("customer_name }}", "2nd", 1, "not a valid name"),
            ("customer_name }}", "with space", 1, "not a valid name"),
            ("customer_name }}", "history", 1, "already defined in answer"),
            ("customer_name }}", "friendly", 1, "already defined in answer"),
            ("{{ friendly }}", "level_note", 4, "already defined in shared.tone"),
            ("{{ friendly }}", "level", 4, "already defined in answer"),
            ("Level = ", "Tier", 1, "only inputs and fragments")]:
        with pytest.raises(Exception, match=says):
            await rename_at(client, uri, FIXED, needle, new_name, offset)


# --- formatting ------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_formatting_returns_one_whole_document_edit(client: LanguageClient):
    from promptc.fmt import format_text

    messy = FIXED.replace("input level: Level = \"low\"", "input   level :Level=\"low\"   ") + "\n\n"
    uri = open_doc(client, "answer.prompt", messy)
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    [edit] = edits
    assert edit.new_text == format_text(messy) and 'input level: Level = "low"' in edit.new_text
    last = messy.split("\n")
    assert edit.range.start == t.Position(line=0, character=0)
    assert edit.range.end == t.Position(line=len(last) - 1, character=len(last[-1].encode("utf-16-le")) // 2)

    formatted = edit.new_text
    change(client, uri, 2, formatted)
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits  # already formatted

    change(client, uri, 3, FIXED.replace('system """', 'system """ oops "'))
    change(client, uri, 4, FIXED + 'user """\nnever closed\n')
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits  # does not parse: no edit


# --- code actions ----------------------------------------------------------------------------

async def actions_on(client, uri, diagnostic) -> list[t.CodeAction]:
    found = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=t.CodeActionContext(diagnostics=[diagnostic])))
    return found or []


@pytest.mark.asyncio
async def test_code_actions_for_did_you_mean_and_missing_inputs(client: LanguageClient):
    uri = open_doc(client, "answer.prompt")
    [d] = (await published(client, uri)).diagnostics
    actions = await actions_on(client, uri, d)
    titles = [a.title for a in actions]
    assert titles == ["Replace `customer_nam` with `customer_name`", "Declare `input customer_nam: str`"]
    replace, declare = actions
    assert replace.kind == t.CodeActionKind.QuickFix and replace.is_preferred
    [edit] = replace.edit.changes[uri]
    line = ANSWER.split("\n").index("🙂 你好 {{ customer_nam }}!")
    assert edit.range == t.Range(start=t.Position(line=line, character=9),
                                 end=t.Position(line=line, character=9 + len("customer_nam")))
    assert apply(ANSWER, [edit]) == FIXED
    [edit] = declare.edit.changes[uri]
    assert apply(ANSWER, [edit]) == ANSWER.replace("input history: list[Turn] = []\n",
                                                   "input history: list[Turn] = []\ninput customer_nam: str\n")

    since = len(client.published)
    text = FIXED.replace("{{ tools.search_kb }}", "{{ tools.search_k }}")
    change(client, uri, 2, text)
    [d] = (await published(client, uri, since, version=2)).diagnostics
    assert d.code == "PC107"
    [action] = await actions_on(client, uri, d)
    assert action.title == "Replace `search_k` with `search_kb`"
    assert apply(text, action.edit.changes[uri]) == FIXED

    since = len(client.published)
    text = FIXED.replace("{{ friendly }}", "{{ mood }}")
    change(client, uri, 3, text)
    [d] = (await published(client, uri, since, version=3)).diagnostics
    [action] = await actions_on(client, uri, d)
    assert action.title == "Declare `input mood: str`"
    assert "input history: list[Turn] = []\ninput mood: str\n" in apply(text, action.edit.changes[uri])


def test_quick_fix_from_a_diagnostic_fix_and_declare_after_front_matter():
    from promptc.diagnostics import Fix, diag
    from promptc.lsp.refactor import actions_for

    text = '---\nversion: 1.0.0\n---\nsystem """\n{{ x }}\n"""\n'
    d = diag("undeclared-variable", "`x` is not declared", Span("a.prompt", 5, 4, 5, 5),
             fix=Fix("use `y`", Span("a.prompt", 5, 4, 5, 5), "y"))
    [fix, declare] = actions_for(d, text, "a.prompt")
    assert (fix.title, fix.replacement, fix.preferred) == ("use `y`", "y", True)
    assert declare.span == Span("a.prompt", 4, 1, 4, 1) and declare.replacement == "\ninput x: str\n"

    inside = '---\nversion: 1.0.0\n---\nfragment f """\n{{ x }}\n"""\n'
    d = diag("undeclared-variable", "`x` is not declared", Span("a.prompt", 5, 4, 5, 5))
    assert actions_for(d, inside, "a.prompt") == []  # fragments see only their parameters
