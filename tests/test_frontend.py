"""The front end called as functions, not through the CLI: the parser (`read_source`, then
`parse_module`, then `parse_template` on each text block) and the resolver (`discover` +
`build_graph`).

The parse and resolve goldens (`tests/golden/parse`, `tests/golden/resolve`) say what the
CLI prints; here each stage alone must produce exactly the findings of its stage in that
output, rendered the same, and nothing else. Further cases pin down the AST and the
module graph those findings come from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from promptc.config import load_project
from promptc.diagnostics import Diagnostic, render_text
from promptc.modules.loader import Location, discover, module_name, read_source
from promptc.modules.resolver import ModuleGraph, build_graph, target_name
from promptc.modules.store import ModuleStore
from promptc.source import SourceFile
from promptc.syntax import ast, parse_module
from promptc.syntax.template import parse_template

from . import goldens, txtar

#: The codes the resolver reports (the other PC1xx codes come from name lookup in the checker).
RESOLVER_CODES = {"PC101", "PC103", "PC105"}


def _expected(archive: txtar.Archive, keep) -> list[str]:
    """The blocks of the golden's report whose code `keep` accepts."""
    blocks = [b for b in archive.files["expect.stdout"].split("\n\n") if b.strip()]
    return sorted(b.rstrip("\n") for b in blocks if (m := goldens.FINDING.match(b)) and keep(m.group("id")))


def _rendered(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> list[str]:
    return sorted(render_text(d, sources) for d in diagnostics)


def _parse_tree(root: Path) -> tuple[dict[str, ast.Module], list[Diagnostic], dict[str, SourceFile]]:
    """Read and parse every `.prompt` file under `root/prompts`, and the template text of each
    of its text blocks."""
    modules, diagnostics, sources = {}, [], {}
    for path in sorted((root / "prompts").rglob("*.prompt")):
        display = path.relative_to(root).as_posix()
        src, read_problems = read_source(Location(module_name(root / "prompts", path), display, path, False))
        diagnostics += read_problems
        if src is None:
            continue
        sources[display] = src
        module, parse_problems = parse_module(src)
        modules[src.module] = module
        diagnostics += parse_problems
        for decl in (*module.of(ast.FragmentDecl), *module.of(ast.MessageDecl)):
            diagnostics += parse_template(src, decl.body)[1]
    return modules, diagnostics, sources


def _graph(root: Path, roots: list[str] | None = None) -> ModuleGraph:
    project, problems = load_project(root)
    assert not problems
    index = discover(project)
    return build_graph(index, roots if roots is not None else index.project_names(), ModuleStore())


PARSE_CASES = goldens.cases("parse")


@pytest.mark.parametrize("case", PARSE_CASES, ids=[goldens.case_id(c) for c in PARSE_CASES])
def test_parser_alone_reports_the_parse_findings_of_the_golden(case: Path, tmp_path: Path) -> None:
    archive = txtar.loads(case.read_text(encoding="utf-8"))
    goldens.materialise(archive, tmp_path)
    _, diagnostics, sources = _parse_tree(tmp_path)
    expected = _expected(archive, lambda code: goldens.stage_of(code) == "parse")
    assert expected, f"{case.name} shows no parse finding"
    assert _rendered(diagnostics, sources) == expected


RESOLVE_CASES = [c for c in goldens.cases("resolve") if c.stem.startswith("import") or c.stem == "unknown-module"]


@pytest.mark.parametrize("case", RESOLVE_CASES, ids=[goldens.case_id(c) for c in RESOLVE_CASES])
def test_resolver_alone_reports_the_import_findings_of_the_golden(case: Path, tmp_path: Path) -> None:
    archive = txtar.loads(case.read_text(encoding="utf-8"))
    goldens.materialise(archive, tmp_path)
    graph = _graph(tmp_path)
    expected = _expected(archive, lambda code: code in RESOLVER_CODES)
    assert _rendered(graph.diagnostics, {s.path: s for s in graph.sources.values()}) == expected


def test_parse_module_builds_the_declarations_in_source_order() -> None:
    text = ('---\nversion: 1.2.3\nowner: a@example.com\n---\n'
            'from ..shared.tone import friendly as warm\nimport std.safety\n'
            'type Tier = "free" | "pro"\ninput tier: Tier = "free"\n'
            'fragment hello(name: str) """\nHi {{ name }}.\n"""\n'
            'system """\n{{ warm }}\n"""\n')
    module, diagnostics = parse_module(SourceFile("prompts/support/a.prompt", text, "support.a"))
    assert diagnostics == []
    assert [type(d).__name__ for d in module.decls] == [
        "FromImport", "Import", "TypeDecl", "InputDecl", "FragmentDecl", "MessageDecl"]
    first, second = module.decls[:2]
    assert (first.level, first.module, [(i.name.text, i.binding.text) for i in first.items]) == (
        2, ("shared", "tone"), [("friendly", "warm")])
    assert (first.span.line, first.module_span.column) == (5, 6)
    assert second.module == ("std", "safety") and second.binding.text == "safety"
    assert [v.value for v in module.decls[2].type.values] == ["free", "pro"]
    assert module.decls[3].default.value == "free"
    fragment = module.decls[4]
    assert fragment.body.text == "Hi {{ name }}." and [p.name.text for p in fragment.params] == ["name"]
    assert module.of(ast.MessageDecl)[0].role.text == "system"
    # Front matter stays positioned in the file.
    assert module.front_spans[("version", "$value")].line == 2


def test_parse_module_recovers_after_a_syntax_error() -> None:
    text = 'input a: str\ninput : int\ninput c: bool\nsystem """\n{{ a }} {{ c }}\n"""\n'
    module, diagnostics = parse_module(SourceFile("a.prompt", text, "a"))
    assert [(d.code.name, d.span.line) for d in diagnostics] == [("syntax-error", 2)]
    assert [d.name.text for d in module.of(ast.InputDecl)] == ["a", "c"]
    assert len(module.of(ast.MessageDecl)) == 1


@pytest.mark.parametrize("importer,level,parts,target", [
    ("app", 0, ("shared", "tone"), "shared.tone"),
    ("support.answer", 1, ("tone",), "support.tone"),
    ("support.answer", 2, ("shared", "tone"), "shared.tone"),
    ("support.answer", 3, ("shared",), None),
    ("std.safety", 1, ("tone",), "std.tone"),
    ("std.safety", 2, ("x",), None),
])
def test_target_name_resolves_relative_imports(importer, level, parts, target) -> None:
    assert target_name(importer, level, parts) == target


def test_build_graph_orders_an_import_chain_dependencies_first(tmp_path: Path) -> None:
    case = goldens.GOLDEN / "resolve" / "import-chain.txtar"
    goldens.materialise(txtar.loads(case.read_text(encoding="utf-8")), tmp_path)
    graph = _graph(tmp_path, ["app"])
    assert graph.diagnostics == []
    assert graph.order == ["shared.base", "shared.tone", "app"]
    assert graph.imports_of("app") == ["shared.tone"] and graph.imports_of("shared.tone") == ["shared.base"]
    assert sorted(graph.closure("app")) == ["app", "shared.base", "shared.tone"]
    assert graph.in_cycle == set()


def test_build_graph_marks_every_module_of_a_cycle(tmp_path: Path) -> None:
    case = goldens.GOLDEN / "resolve" / "import-cycle.txtar"
    goldens.materialise(txtar.loads(case.read_text(encoding="utf-8")), tmp_path)
    graph = _graph(tmp_path)
    assert graph.in_cycle == {"a", "b", "c"}
    assert [d.code.name for d in graph.diagnostics] == ["import-cycle"]
