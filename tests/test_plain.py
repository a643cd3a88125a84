"""Plain prompt files: `check FILE.txt|FILE.md` lints them in place, and `import` turns them
into `.prompt` modules that render the original text exactly."""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Iterable

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from promptc import driver, importer
from promptc.cli import main
from promptc.diagnostics import Code, Diagnostic, Severity
from promptc.lint import registry as lint_registry
from promptc.lint import runner as lint_runner
from promptc.lint.rule import LintContext, Rule
from promptc.runtime import load

from .helpers import CONFIG, write_project


class FlagTodo(Rule):
    """
    What it does:
        Flags the word TODO (a test rule: it finds text through the lint document model,
        exactly as real rules do).
    """

    code = Code("PC599", "test-todo", "The text says TODO.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for model in ctx.models:
            at = model.doc.text.find("TODO")
            while at >= 0:
                yield self.report(model.doc.span(at, at + 4), "TODO left in the prompt")
                at = model.doc.text.find("TODO", at + 1)


class FlagLength(Rule):
    """
    What it does:
        Reports every message as an info finding (a test rule).
    """

    code = Code("PC598", "test-info", "Every message.", Severity.INFO)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for model in ctx.models:
            if model.doc.text:
                yield self.report(model.doc.span(0, 1), f"{len(model.doc.text)} characters")


@pytest.fixture
def todo_rule(monkeypatch):
    rules = [*lint_runner.RULES, FlagTodo, FlagLength]
    monkeypatch.setattr(lint_runner, "RULES", rules)
    monkeypatch.setattr(lint_registry, "RULES", rules)


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env={"NO_COLOR": "1", **(env or {})})


def new_project(root: Path) -> Path:
    write_project(root, {})
    (root / "prompts").mkdir(exist_ok=True)
    return root


def mine(diags, name="test-todo"):
    return [d for d in diags if d.code.name == name]


# --- check FILE.txt -----------------------------------------------------------------

def test_plain_findings_point_into_the_file(tmp_path: Path, todo_rule) -> None:
    from promptc.plain import lint_plain

    new_project(tmp_path)
    # A BOM and CRLF line ends are normalised; columns count code points (é, 🙂).
    raw = "\ufeffYou are helpful.\r\n  é🙂 fix the TODO now\r\n\r\nAnd TODO.\r\n".encode("utf-8")
    (tmp_path / "prompts" / "system.txt").write_bytes(raw)
    project = driver.open_project(tmp_path)
    result = lint_plain(project, [tmp_path / "prompts" / "system.txt"])
    found = mine(result.diagnostics)
    assert [(d.span.file, d.span.line, d.span.column, d.span.end_line, d.span.end_column) for d in found] == [
        ("prompts/system.txt", 2, 14, 2, 18),
        ("prompts/system.txt", 4, 5, 4, 9),
    ]
    src = result.sources["prompts/system.txt"]
    for d in found:
        assert src.line_text(d.span.line)[d.span.column - 1:d.span.end_column - 1] == "TODO"


def test_check_lints_txt_and_md_files_with_the_cli(tmp_path: Path, todo_rule) -> None:
    new_project(tmp_path)
    (tmp_path / "notes.md").write_text("# Role\n\nAnswer briefly. TODO: tone.\n", encoding="utf-8")
    result = run("check", str(tmp_path / "notes.md"))
    assert result.exit_code == 1, result.output
    assert "notes.md:3:17: warning[PC599 test-todo]: TODO left in the prompt" in result.stdout
    assert "3 | Answer briefly. TODO: tone." in result.stdout
    assert "Traceback" not in result.output


def test_plain_and_prompt_files_in_one_run(tmp_path: Path, todo_rule) -> None:
    write_project(tmp_path, {"a.prompt": '---\nversion: 1.0.0\n---\nsystem """\nHi {{ nme }}.\n"""\n'})
    (tmp_path / "old.txt").write_text("TODO\n", encoding="utf-8")
    result = run("check", str(tmp_path / "prompts" / "a.prompt"), str(tmp_path / "old.txt"), "--format", "json")
    assert result.exit_code == 1
    found = {(d["file"], d["rule"], d["line"], d["column"]) for d in json.loads(result.stdout)}
    assert ("prompts/a.prompt", "undeclared-variable", 5, 7) in found
    assert ("old.txt", "test-todo", 1, 1) in found


def test_infos_do_not_fail_a_plain_check_and_suppressions_apply(tmp_path: Path, todo_rule) -> None:
    new_project(tmp_path)
    (tmp_path / "ok.txt").write_text("All fine here.\nTODO {# promptc: ignore[test-todo] #}\n", encoding="utf-8")
    result = run("check", str(tmp_path / "ok.txt"), "--format", "json")
    assert result.exit_code == 0, result.output
    rules = [d["rule"] for d in json.loads(result.stdout)]
    assert [r for r in rules if r.startswith("test-")] == ["test-info"]


def test_plain_text_is_not_a_template(tmp_path: Path, todo_rule) -> None:
    new_project(tmp_path)
    (tmp_path / "t.txt").write_text("Use {{ name }} and {% if x %} as they are. {# no #}\n", encoding="utf-8")
    result = run("check", str(tmp_path / "t.txt"))
    assert result.exit_code == 0, result.output


def test_plain_file_that_is_not_utf8_is_a_finding(tmp_path: Path) -> None:
    new_project(tmp_path)
    (tmp_path / "bad.txt").write_bytes(b"ok\nbad \xff byte\n")
    result = run("check", str(tmp_path / "bad.txt"))
    assert result.exit_code == 1
    assert "bad.txt:2:5: error[PC001 not-utf8]" in result.stdout


def test_missing_plain_file_is_a_usage_error(tmp_path: Path) -> None:
    new_project(tmp_path)
    result = run("check", str(tmp_path / "nope.txt"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_front_matter_rules_do_not_apply_to_plain_files(tmp_path: Path) -> None:
    from promptc.plain import FRONT_MATTER_RULES, lint_plain

    new_project(tmp_path)
    (tmp_path / "p.txt").write_text("You are a helpful assistant.\n", encoding="utf-8")
    result = lint_plain(driver.open_project(tmp_path), [tmp_path / "p.txt"])
    assert not [d for d in result.diagnostics if d.code.name in FRONT_MATTER_RULES]


# --- import ---------------------------------------------------------------------------

def compile_and_render(source: str, inputs: dict | None = None) -> str:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "promptc.toml").write_text(CONFIG, encoding="utf-8")
        (root / "prompts").mkdir()
        (root / "prompts" / "p.prompt").write_text(source, encoding="utf-8")
        result = driver.compile_project(driver.open_project(root), use_cache=False, lint=False)
        errors = [f"{d.code.name}: {d.message}" for d in result.diagnostics if d.is_error]
        assert not errors, (errors, source)
        [message] = load(result.bundles["p"]).render(inputs or {}).messages
        assert message.role == "system"
        return message.content


TRICKY = list('{}%#"\'`\\$<>-_ \t\n\r\x0c\x0b\xa0\u2028\u3000') + ["{{", "{%", "{#", '"""', "}}", "%}", "#}",
                                                                    "{% raw %}", "{{ x }}"[:-1], "é", "🙂"]
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY),
                                 st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                                         max_size=6)),
                       max_size=30).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tricky_text)
@example("")
@example("\n")
@example("   ")
@example(" \n\t\n")
@example("a\n\n")  # a blank last line (the final newline alone is dropped)
@example("a \n \n")
@example("\n\n  a")  # leading blank lines
@example("\xa0\nb")  # a first line that is blank only to str.strip()
@example("  a\n  b")  # indentation common to every line
@example("\ta\n\t\n\tb\n")
@example('say """hi""" or """"')
@example('ends with ""')
@example("{{ x }} {% if y %} {# z #} {{{ {%% {")
@example("{\n{")
@example("\\n and \\ and '")
def test_import_round_trips_any_text(text: str) -> None:
    expected = importer.normalise(text)
    assume(not importer.find_placeholders(expected))
    imported = importer.convert(text)
    assert imported.inputs == []
    assert compile_and_render(imported.source) == expected


names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda n: n not in importer._RESERVED)
slot_names = st.from_regex(r"[A-Z][A-Z0-9]{0,5}(_[A-Z0-9]{1,4}){0,2}", fullmatch=True)
placeholder = st.one_of(
    st.tuples(names, st.sampled_from(["{%s}", "{{%s}}", "{{ %s }}", "${%s}", "${ %s }"])),
    st.tuples(slot_names, st.just("<%s>")),
)
segment = st.text(alphabet=string.ascii_letters + string.digits + ' \t\n"%#-_.,:;!?é', max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(segment, placeholder), min_size=1, max_size=5), segment)
@example([("", ("x", "{%s}"))], "")
@example([("  ", ("x", "{{ %s }}")), ("\n  ", ("USER_NAME", "<%s>"))], "\n\n")
@example([("\n\n", ("a", "${%s}")), ('"""', ("b", "{{%s}}"))], ' ""')
def test_import_round_trips_text_with_placeholders(parts, tail: str) -> None:
    text, expected = "", ""
    for seg, (name, form) in parts:
        text += seg + form % name
        expected += seg + f"VALUE-{name}"
    text += tail
    expected = importer.normalise(expected + tail)
    imported = importer.convert(text)
    assert set(imported.inputs) == {name for _, (name, _) in parts}
    assert compile_and_render(imported.source, {n: f"VALUE-{n}" for n in imported.inputs}) == expected


@pytest.mark.parametrize("text,inputs", [
    ("Hello {name}, you are {{ role }} at ${company}. Ask <USER_NAME>.", ["name", "role", "company", "USER_NAME"]),
    ("Dear {x} and {x}", ["x"]),
    ("<context>\nfacts\n</context>\n<br> <p>hi</p> <name>", []),  # tags, not slots
    ("<EXAMPLES>\nq\n</EXAMPLES>\n<user_name>", ["user_name"]),
    ('JSON: {"a": 1} {0} {x.y} {if} {{ loop }} {{ a | upper }}', []),
])
def test_placeholders(text: str, inputs: list[str]) -> None:
    assert importer.convert(text).inputs == inputs


def test_import_writes_a_module_that_checks_and_renders(tmp_path: Path) -> None:
    new_project(tmp_path)
    prompt = tmp_path / "legacy" / "support.txt"
    prompt.parent.mkdir()
    text = '  You help {customer}.\n  Reply in JSON: {"answer": "..."}.\n  Never say """ or {% raw %}.\n\n'
    prompt.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    result = run("import", str(prompt), "--name", "support.answer")
    assert result.exit_code == 0, result.output
    module = tmp_path / "prompts" / "support" / "answer.prompt"
    assert result.stdout.strip() == f"created {module}"
    source = module.read_text(encoding="utf-8")
    assert source.startswith("---\nversion: 0.1.0\n# purpose:")
    assert "input customer: str\n" in source
    checked = run("check", str(tmp_path), "--format", "json")
    assert not [d for d in json.loads(checked.stdout) if d["severity"] == "error"], checked.stdout
    (tmp_path / "in.json").write_text('{"customer": "Ada"}', encoding="utf-8")
    rendered = run("render", "support.answer", "--project", str(tmp_path), "--inputs", str(tmp_path / "in.json"),
                   "--format", "json")
    assert rendered.exit_code == 0, rendered.output
    [message] = json.loads(rendered.stdout)["messages"]
    assert message["content"] == text.replace("{customer}", "Ada")[:-1]


def test_import_defaults_to_the_file_beside_it_and_refuses_to_overwrite(tmp_path: Path) -> None:
    new_project(tmp_path)
    prompt = tmp_path / "p.md"
    prompt.write_text("# Role\nBe brief.\n", encoding="utf-8")
    first = run("import", str(prompt))
    assert first.exit_code == 0, first.output
    target = tmp_path / "p.prompt"
    before = target.read_text(encoding="utf-8")
    assert 'system """\n# Role\nBe brief.\n"""\n' in before
    prompt.write_text("Something else\n", encoding="utf-8")
    again = run("import", str(prompt))
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert target.read_text(encoding="utf-8") == before
    explicit = tmp_path / "other.prompt"
    explicit.write_text("keep me", encoding="utf-8")
    assert run("import", str(prompt), "--out", str(explicit)).exit_code == 2
    assert explicit.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("args,message", [
    (["missing.txt"], "does not exist"),
    (["p.txt", "--name", "not a name"], "not a module name"),
    (["p.txt", "--out", "x.txt"], "must end in .prompt"),
])
def test_import_usage_errors(tmp_path: Path, monkeypatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.txt").write_text("hi\n", encoding="utf-8")
    result = run("import", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_plain_prompt_file_is_checked_without_a_project(tmp_path: Path, monkeypatch) -> None:
    """`promptc check FILE.txt` lints a lone prompt file with the defaults, as a linter checks
    a file outside any configured project, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.txt").write_text("Keep answers under 50 words.\nWrite at least 200 words.\n", encoding="utf-8")
    result = run("check", "p.txt", "--format", "json")
    found = json.loads(result.stdout)
    assert result.exit_code == 1 and [d["rule"] for d in found] == ["conflicting-instructions"], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.txt"]
    assert run("build").exit_code == 2  # a command that writes still needs a project
