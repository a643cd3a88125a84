"""`promptc import` of Dotprompt and Prompty files, `promptc export --format
dotprompt|prompty|github-models`, and `promptc check` on such files, end to end through the
CLI. The other formats' own suites and reference implementations are in
test_interop_suites.py and test_interop_reference.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from promptc import driver
from promptc.cli import main
from promptc.runtime import load

from .helpers import CONFIG

DOTPROMPT = """---
model: googleai/gemini-2.0-flash
config:
  temperature: 0.4
  maxOutputTokens: 300
input:
  schema:
    name: string, who to greet
    tier?: string
    items?(array): string
  default:
    name: you
output:
  format: json
  schema:
    answer: string, the reply
---
{{role "system"}}You help {{name}}.
{{#ifEquals tier "pro"}}
Offer the pro desk.
{{else}}
Keep it short.
{{/ifEquals}}
{{role "user"}}{{#each items}}- {{this}}{{#if @last}}.{{/if}}
{{/each}}{{> signature who=name}}
"""


def run(*args: str, cwd: Path | None = None):
    import os

    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def project(tmp_path: Path) -> Path:
    (tmp_path / "promptc.toml").write_text(CONFIG, "utf-8")
    (tmp_path / "prompts").mkdir()
    return tmp_path


def test_import_dotprompt_builds_and_renders_what_handlebars_would(tmp_path: Path) -> None:
    root = project(tmp_path)
    source = root / "legacy" / "greet.prompt"
    source.parent.mkdir()
    source.write_text(DOTPROMPT, "utf-8")
    (source.parent / "_signature.prompt").write_text("-- {{who}}\n", "utf-8")
    result = run("import", str(source), cwd=root)
    assert result.exit_code == 0, result.output
    module = (root / "prompts" / "greet.prompt").read_text("utf-8")
    assert "import greet_partials as partials" in module
    assert 'output json "schemas/greet.output.json"' in module
    assert json.loads((root / "schemas" / "greet.output.json").read_text("utf-8"))["properties"]["answer"] == {
        "type": "string", "description": "the reply"}
    built = driver.build(driver.open_project(root), out=root / "dist")
    assert built.ok, [d.message for d in built.diagnostics]
    bundle = load(next((root / "dist").rglob("greet*.json")))
    assert bundle.spec["model"] == {"name": "googleai/gemini-2.0-flash", "temperature": 0.4, "max_tokens": 300}
    messages = bundle.render({"tier": "pro", "items": ["a", "b"]}).messages
    assert [(m.role, m.content) for m in messages] == [
        ("system", "You help you.\nOffer the pro desk.\n"),
        ("user", "- a\n- b.\n-- you\n"),
    ]


@pytest.mark.parametrize("template,line,column,words", [
    ("Hello {{name}}!\n{{#each items}}{{@index}}{{/each}}\n", 2, 18, "`@index` counts from 0"),
    ("One\nTwo {{media url=u}}\n", 2, 5, "media part"),
    ("{{#if a}}\n{{role \"user\"}}x\n{{/if}}\n", 2, 1, "inside a block"),
    ("{{lookup people 1}}\n", 1, 1, "helper `lookup`"),
    ("{{#if (eq a b)}}x{{/if}}\n", 1, 7, "subexpression"),
])
def test_import_stops_at_the_construct_it_cannot_express(tmp_path: Path, template, line, column, words) -> None:
    root = project(tmp_path)
    source = root / "bad.prompt"
    source.write_text(template, "utf-8")
    result = run("import", str(source), "--out", str(root / "prompts" / "bad.prompt"), cwd=root)
    assert result.exit_code == 1, result.output
    assert f"bad.prompt:{line}:{column}: error[PC602 not-importable]" in result.output
    assert words in result.output
    assert not (root / "prompts" / "bad.prompt").exists()


def test_import_stops_at_the_front_matter_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    source = root / "bad.prompt"
    source.write_text("---\nmodel: m\nconfig:\n  topK: 3\n---\nHi\n", "utf-8")
    result = run("import", str(source), cwd=root)
    assert result.exit_code == 1
    assert "bad.prompt:4:3: error[PC602 not-importable]: the model setting `config.topK`" in result.output


def test_import_prompty_keeps_roles_inputs_and_whitespace(tmp_path: Path) -> None:
    root = project(tmp_path)
    source = root / "chat.prompty"
    source.write_text("""---
name: chat
description: Answer briefly
model:
  id: gpt-4o-mini
  options:
    temperature: 0.1
inputs:
  - name: question
    kind: string
    required: true
  - name: tags
    kind: array
    default: []
---
system:
You answer in one line.
{%- if tags %}
Tags: {{ tags | join(", ") }}
{%- endif %}

user:
{{ question }}
""", "utf-8")
    result = run("import", str(source), "--name", "chat", cwd=root)
    assert result.exit_code == 0, result.output
    built = driver.build(driver.open_project(root), out=root / "dist")
    assert built.ok, [d.message for d in built.diagnostics]
    bundle = load(next((root / "dist").rglob("chat*.json")))
    assert bundle.spec["model"] == {"name": "gpt-4o-mini", "temperature": 0.1}
    assert bundle.spec["inputs"]["required"] == ["question"]
    rendered = bundle.render({"question": "Why?", "tags": ["a", "b"]}).messages
    assert [(m.role, m.content) for m in rendered] == [("system", "You answer in one line.\nTags: a, b"),
                                                       ("user", "Why?")]


def test_import_several_files_and_plain_text_as_before(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "a.txt").write_text("Summarise {text} briefly.\n", "utf-8")
    (root / "b.prompty").write_text("---\nname: b\ninputs:\n  q: hi\n---\nuser:\n{{q}}\n", "utf-8")
    result = run("import", "a.txt", "b.prompty", cwd=root)
    assert result.exit_code == 0, result.output
    assert "input text: str" in (root / "a.prompt").read_text("utf-8")
    assert 'input q: str = "hi"' in (root / "b.prompt").read_text("utf-8")
    assert run("import", "a.txt", "b.prompty", "--name", "x", cwd=root).exit_code == 2


def test_check_names_dotprompt_and_prompty_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "prompts" / "greet.prompt").write_text(DOTPROMPT, "utf-8")
    (root / "other.prompty").write_text("---\nname: o\nmodel:\n  id: gpt-4o\n---\nuser:\nHi\n", "utf-8")
    result = run("check", cwd=root)
    assert result.exit_code == 1
    assert "prompts/greet.prompt:1:1: error[PC601 foreign-format]: `prompts/greet.prompt` is a Dotprompt file" in \
        result.output
    assert "promptc import prompts/greet.prompt" in result.output
    assert "syntax-error" not in result.output  # one finding, not a cascade of syntax errors
    result = run("check", "other.prompty", cwd=root)
    assert result.exit_code == 1
    assert "`other.prompty` is a Prompty file" in result.output
    (root / "legacy").mkdir()
    (root / "legacy" / "hello.prompt").write_text("Hello {{#if name}}{{name}}{{/if}}!\n", "utf-8")
    result = run("check", "legacy/hello.prompt", cwd=root)  # outside the source roots, no front matter
    assert result.exit_code == 1
    assert "`legacy/hello.prompt` is a Dotprompt file" in result.output


SIMPLE = '''---
version: 1.0.0
purpose: Greet a customer.
model: {name: gpt-4o-mini, temperature: 0.3, max_tokens: 200}
eval: evals/greet.jsonl
---
input name: str
input plan: "free" | "pro" = "free"

system """
Greet {{ name }} warmly.
"""

user """
I am on the {{ plan }} plan.
"""
'''


def test_export_github_models_with_test_data(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "prompts" / "greet.prompt").write_text(SIMPLE, "utf-8")
    (root / "evals").mkdir()
    (root / "evals" / "greet.jsonl").write_text(
        json.dumps({"vars": {"name": "Ann"}, "assert": [{"type": "contains", "value": "Ann"}]}) + "\n", "utf-8")
    result = run("export", "greet", "--format", "github-models", cwd=root)
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.stdout)
    assert doc["model"] == "openai/gpt-4o-mini"
    assert doc["modelParameters"] == {"maxTokens": 200, "temperature": 0.3}
    assert doc["messages"] == [{"role": "system", "content": "Greet {{name}} warmly."},
                               {"role": "user", "content": "I am on the {{plan}} plan."}]
    assert doc["testData"] == [{"plan": "free", "name": "Ann"}]
    assert doc["evaluators"] == [{"name": "contains Ann", "string": {"contains": "Ann"}}]


def test_export_refuses_what_the_format_cannot_say(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "prompts" / "greet.prompt").write_text(SIMPLE.replace("{{ name }}", "{{ name | upper }}"), "utf-8")
    result = run("export", "greet", "--format", "github-models", cwd=root)
    assert result.exit_code == 1
    assert "the expression `name | upper` has no GitHub Models form" in result.output
    result = run("export", "greet", "--format", "dotprompt", cwd=root)
    assert result.exit_code == 1
    assert "`name | upper` has no Dotprompt form" in result.output


def test_import_then_export_round_trips_the_file(tmp_path: Path) -> None:
    """Dotprompt → module → Dotprompt gives a file whose template is the original's meaning;
    Prompty likewise (both are rendered by the reference implementations in
    test_interop_reference.py; here the exported files are read back by the importer)."""
    from promptc.interop import dotprompt, prompty
    from promptc.interop.to_dotprompt import dotprompt_file
    from promptc.interop.to_prompty import prompty_file

    root = project(tmp_path)
    source = root / "greet.prompt"
    source.write_text(DOTPROMPT.replace("{{> signature who=name}}", ""), "utf-8")
    assert run("import", str(source), cwd=root).exit_code == 0
    (root / "chat.prompty").write_text("---\nname: c\ninputs:\n  q: hi\n---\nsystem:\nBe brief.\n\nuser:\n{{q}}\n",
                                       "utf-8")
    assert run("import", str(root / "chat.prompty"), "--name", "chat", cwd=root).exit_code == 0
    compiled = driver.compile_project(driver.open_project(root), use_cache=False)
    assert compiled.ok, [d.message for d in compiled.diagnostics]
    for name, write, convert in (("greet", dotprompt_file, dotprompt.convert), ("chat", prompty_file, prompty.convert)):
        bundle = compiled.bundles[name]
        text, _notes = write(bundle)
        again = convert(text, module_name="again")
        (root / "prompts" / "again.prompt").write_text(again.module, "utf-8")
        for rel, content in again.files.items():
            (root / rel).write_text(content, "utf-8")
        second = driver.compile_project(driver.open_project(root), use_cache=False)
        assert second.ok, [d.message for d in second.diagnostics]
        inputs = {"tier": "pro", "items": ["x"], "name": "Bo"} if name == "greet" else {"q": "why?"}
        first_render = load(dict(bundle)).render(inputs).messages
        second_render = load(dict(second.bundles["again"])).render(inputs).messages
        assert [(m.role, m.content) for m in first_render] == [(m.role, m.content) for m in second_render]
        (root / "prompts" / "again.prompt").unlink()


from hypothesis import given, settings, strategies as st  # noqa: E402

_HB_BITS = st.sampled_from(["{{", "}}", "{{#if a}}", "{{/if}}", "{{else}}", "{{#each xs}}", "{{/each}}", "{{~", "~}}",
                            "{{!", "{{!--", "--}}", "{{>", " p", "{{role \"user\"}}", "{{@index}}", "{{this}}",
                            "{{../a}}", "\\{{", "(", ")", "\"", "'", "=", "a", " ", "\n", "{{{", "}}}", "{{^}}",
                            "{{^a}}", "{{/a}}", "as |x|", "[a b]", "{{json a}}", "---\n", "input:\n", "  schema: x\n",
                            "config: 3\n", "input: x\n", "  default: 3\n", "  default:\n    a: 1\n", "tools: x\n",
                            "tools: [a]\n", "toolDefs: [{name: a, inputSchema: {type: object, properties: 3}}]\n",
                            "model: {a: 1}\n", "output:\n", "  format: json\n", "  schema: {type: x}\n",
                            "  schema: {a: 3}\n", "  schema: [1]\n", "config:\n  topP: 1\n"])
_JJ_BITS = st.sampled_from(["{{", "}}", "{%", "%}", "{% if a %}", "{% endif %}", "{% for x in xs %}", "{% endfor %}",
                            "{%-", "-%}", "{#", "#}", "user:\n", "system:\n", "assistant[x=1]:\n", "a", " ", "\n",
                            "|", "upper", "join", "(", ")", "\"", "loop.index0", "x.y", "[0]", "and", "---\n",
                            "inputs:\n", "  - name: a\n", "    kind: thread\n", "model: {id: m}\n", "{% set a = 1 %}",
                            "model: 3\n", "model: {options: 3}\n", "model: {configuration: x}\n", "tools: x\n",
                            "tools: [x]\n", "tools: [{name: t, parameters: 3}]\n", "template: 3\n",
                            "template: {format: 3}\n", "outputs: 3\n", "outputs: [{name: a, kind: x}]\n",
                            "inputs: {a: {kind: array, items: 3}}\n", "sample: 3\n", "inputs: 3\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_HB_BITS, max_size=25).map("".join))
def test_dotprompt_import_never_crashes(text: str) -> None:
    """Any text either imports or raises InteropError (a diagnostic at a position), never a traceback."""
    from promptc.interop import dotprompt
    from promptc.interop.common import InteropError

    try:
        result = dotprompt.convert(text, module_name="m", partials={"p": "{{a}}"})
    except InteropError as exc:
        assert 0 <= exc.offset <= len(text) and exc.message and exc.hint
    else:
        assert result.module.startswith("---\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(_JJ_BITS, max_size=25).map("".join))
def test_prompty_import_never_crashes(text: str) -> None:
    from promptc.interop import prompty
    from promptc.interop.common import InteropError

    try:
        result = prompty.convert(text, module_name="m")
    except InteropError as exc:
        assert 0 <= exc.offset <= len(text) and exc.message and exc.hint
    else:
        assert result.module.startswith("---\n")


def test_an_open_dotprompt_buffer_gets_one_foreign_format_finding(tmp_path: Path) -> None:
    """The language server compiles open buffers as overlays: a Dotprompt file open in an
    editor gets the same single finding as `promptc check`."""
    root = project(tmp_path)
    (root / "prompts" / "greet.prompt").write_text('user """\nHi\n"""\n', "utf-8")
    result = driver.compile_project(driver.open_project(root), overlays={"greet": DOTPROMPT}, use_cache=False)
    assert [d.code.name for d in result.diagnostics if d.is_error] == ["foreign-format"]


@pytest.mark.parametrize("kind,front", [
    ("dotprompt", "config: 3"), ("dotprompt", "input:\n  default: 3"), ("dotprompt", "tools: x"),
    ("dotprompt", "model: {a: 1}"), ("dotprompt", "input:\n  schema: {type: object, properties: 3}"),
    ("dotprompt", "toolDefs: [{name: a, inputSchema: {type: object, properties: 3}}]"),
    ("prompty", "model: 3"), ("prompty", "model: {options: 3}"), ("prompty", "tools: [x]"),
    ("prompty", "tools: [{parameters: []}]"), ("prompty", "outputs: [3]"), ("prompty", "inputs: [3]"),
    ("prompty", "inputs: [{name: a, enumValues: 3}]"), ("prompty", "outputs: [{name: a, kind: x}]"),
])
def test_malformed_front_matter_is_an_import_error(kind: str, front: str) -> None:
    """A front matter in the wrong shape is a positioned error, never a crash or an entry
    silently left out."""
    from promptc.interop import dotprompt, prompty
    from promptc.interop.common import InteropError

    text = f"---\n{front}\n---\n" + ("user:\nHi {{a}}\n" if kind == "prompty" else "Hi {{a}}\n")
    with pytest.raises(InteropError) as info:
        (prompty if kind == "prompty" else dotprompt).convert(text, module_name="m")
    assert 4 <= info.value.offset < len(text) - 8 and info.value.hint
