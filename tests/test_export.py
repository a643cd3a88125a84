"""`promptc export`: OpenAI and Anthropic request bodies for the example project, and a
promptfoo config whose prompts are the bundles' messages as Nunjucks chat prompts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.needs import missing
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from promptc import driver
from promptc.cli import main
from promptc.export import anthropic_body, clean_schema, openai_body, strict_problem
from promptc.export.nunjucks import literal, message_template
from promptc.export.promptfoo import promptfoo_config
from promptc.runtime import load

from .helpers import compile_files, write_project

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-desk"
INPUTS = {"support.answer": "answer.json", "sales.outreach": "outreach.json"}

STRING = {"type": "string"}
JSON_SCHEMA = {"type": "object"}

#: The parts of the Chat Completions request body that promptc writes.
OPENAI_BODY = {
    "type": "object",
    "required": ["model", "messages"],
    "additionalProperties": False,
    "properties": {
        "model": STRING,
        "messages": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["role", "content"], "additionalProperties": False,
            "properties": {"role": {"enum": ["system", "developer", "user", "assistant"]}, "content": STRING}}},
        "tools": {"type": "array", "items": {
            "type": "object", "required": ["type", "function"], "additionalProperties": False,
            "properties": {"type": {"const": "function"}, "function": {
                "type": "object", "required": ["name", "description", "parameters"], "additionalProperties": False,
                "properties": {"name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"}, "description": STRING,
                               "parameters": JSON_SCHEMA, "strict": {"type": "boolean"}}}}}},
        "response_format": {"type": "object", "required": ["type", "json_schema"], "additionalProperties": False,
                            "properties": {"type": {"const": "json_schema"}, "json_schema": {
                                "type": "object", "required": ["name", "schema", "strict"],
                                "additionalProperties": False,
                                "properties": {"name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
                                               "schema": JSON_SCHEMA, "strict": {"type": "boolean"}}}}},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "top_p": {"type": "number"},
        "max_completion_tokens": {"type": "integer", "minimum": 1},
        "stop": {"type": "array", "items": STRING},
        "seed": {"type": "integer"},
        "frequency_penalty": {"type": "number"},
        "presence_penalty": {"type": "number"},
        "reasoning_effort": {"enum": ["minimal", "low", "medium", "high"]},
    },
}

#: The parts of the Messages API request body that promptc writes.
ANTHROPIC_BODY = {
    "type": "object",
    "required": ["model", "max_tokens", "messages"],
    "additionalProperties": False,
    "properties": {
        "model": STRING,
        "max_tokens": {"type": "integer", "minimum": 1},
        "system": STRING,
        "messages": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["role", "content"], "additionalProperties": False,
            "properties": {"role": {"enum": ["user", "assistant"]}, "content": STRING}}},
        "tools": {"type": "array", "items": {
            "type": "object", "required": ["name", "input_schema"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"}, "description": STRING,
                           "input_schema": {"type": "object", "required": ["type"],
                                            "properties": {"type": {"const": "object"}}}}}},
        "tool_choice": {"oneOf": [
            {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["auto", "any", "none"]}}},
            {"type": "object", "required": ["type", "name"], "properties": {"type": {"const": "tool"},
                                                                             "name": STRING}}]},
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        "top_p": {"type": "number"},
        "stop_sequences": {"type": "array", "items": STRING},
    },
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("export") / "support-desk"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("dist", ".promptc"))
    return target


@pytest.fixture(scope="module")
def bundles(project) -> dict:
    compiled = driver.compile_project(driver.open_project(project), use_cache=False)
    assert compiled.ok, compiled.diagnostics
    return compiled.bundles


def inputs_of(name: str) -> dict:
    return json.loads((EXAMPLE / "inputs" / INPUTS[name]).read_text(encoding="utf-8"))


def no_extension_keys(value) -> bool:
    text = json.dumps(value)
    return '"x-max-tokens"' not in text and '"$schema"' not in text


# --- OpenAI -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(INPUTS))
def test_openai_body_structure(bundles, name):
    body, notes = openai_body(bundles[name], inputs_of(name))
    Draft202012Validator(OPENAI_BODY).validate(body)
    bundle = bundles[name]
    rendered = load(bundle).render(inputs_of(name))
    assert body["model"] == bundle["spec"]["model"]["name"]
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in rendered.messages]
    assert body["response_format"]["json_schema"]["name"] == name.replace(".", "_")
    assert no_extension_keys(body)
    for key in ("schema",):
        Draft202012Validator.check_schema(body["response_format"]["json_schema"][key])


def test_openai_body_for_support_answer(bundles):
    body, notes = openai_body(bundles["support.answer"], inputs_of("support.answer"))
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert "Priya Raman" in body["messages"][0]["content"]
    tools = {t["function"]["name"]: t["function"] for t in body["tools"]}
    assert sorted(tools) == ["create_ticket", "search_kb"]
    assert tools["search_kb"]["parameters"]["properties"]["query"] == {"type": "string", "maxLength": 200}
    assert "strict" not in tools["search_kb"]  # `limit` is optional: not strict-mode ready
    # escalation_reason is optional: strict mode would reject the schema.
    assert body["response_format"]["json_schema"]["strict"] is False
    assert any("escalation_reason" in n for n in notes)
    assert any("create_ticket" in n and "approval" in n for n in notes)
    assert body["temperature"] == 0.2 and body["max_completion_tokens"] == 800
    assert "context_window" not in body


def test_openai_body_for_sales_outreach_is_strict(bundles):
    body, _ = openai_body(bundles["sales.outreach"], inputs_of("sales.outreach"))
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert "$id" not in schema["schema"] and schema["schema"]["additionalProperties"] is False
    assert "tools" not in body
    assert body["temperature"] == 0.6 and body["max_completion_tokens"] == 700


def test_strict_rules():
    ok = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {
        "c": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}, "required": ["c"], "additionalProperties": False}},
          "required": ["a", "b"], "additionalProperties": False}
    assert strict_problem(ok) is None
    nested_open = json.loads(json.dumps(ok))
    del nested_open["properties"]["b"]["additionalProperties"]
    assert strict_problem(nested_open) == "$.b does not set additionalProperties: false"
    optional = json.loads(json.dumps(ok))
    optional["required"] = ["a"]
    assert strict_problem(optional) == "$ does not require b"
    assert strict_problem({"type": "array", "items": {"type": "string"}}) == "the root is not an object"
    one_of = {"type": "object", "properties": {"a": {"oneOf": [STRING]}}, "required": ["a"],
              "additionalProperties": False}
    assert strict_problem(one_of) == "$.a uses `oneOf`"
    list_of_objects = {"type": "object", "properties": {"xs": {"type": "array", "items": {
        "type": "object", "properties": {"y": STRING}}}}, "required": ["xs"], "additionalProperties": False}
    assert strict_problem(list_of_objects) == "$.xs.items does not set additionalProperties: false"


def test_clean_schema_keeps_property_names():
    schema = {"$schema": "x", "$id": "y", "type": "object", "x-note": 1,
              "properties": {"x-max-tokens": {"type": "string", "x-max-tokens": 5}}}
    assert clean_schema(schema) == {"type": "object", "properties": {"x-max-tokens": {"type": "string"}}}


# --- Anthropic --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(INPUTS))
def test_anthropic_body_structure(bundles, name):
    body, notes = anthropic_body(bundles[name], inputs_of(name))
    Draft202012Validator(ANTHROPIC_BODY).validate(body)
    rendered = load(bundles[name]).render(inputs_of(name))
    assert body["system"] == "\n\n".join(m.content for m in rendered.messages if m.role == "system")
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in rendered.messages
                                if m.role != "system"]
    assert body["max_tokens"] == bundles[name]["spec"]["model"]["max_tokens"]
    output_tool = body["tools"][-1]
    assert output_tool["name"] == name.replace(".", "_") + "_output"
    assert output_tool["input_schema"] == clean_schema(bundles[name]["spec"]["output"]["schema"])
    assert no_extension_keys(body)


def test_anthropic_output_tool_choice(bundles):
    answer, _ = anthropic_body(bundles["support.answer"], inputs_of("support.answer"))
    # Its own tools come first; the model must end with a tool call: `any`.
    assert [t["name"] for t in answer["tools"]] == ["create_ticket", "search_kb", "support_answer_output"]
    assert answer["tool_choice"] == {"type": "any"}
    assert [m["role"] for m in answer["messages"]] == ["user", "assistant", "user"]
    outreach, _ = anthropic_body(bundles["sales.outreach"], inputs_of("sales.outreach"))
    assert outreach["tool_choice"] == {"type": "tool", "name": "sales_outreach_output"}


def test_anthropic_default_max_tokens_and_left_out_settings(tmp_path):
    write_project(tmp_path, {"p.prompt": "---\nversion: 1.0.0\nmodel: {name: claude-sonnet-4-5, seed: 3}\n---\n"
                                         'system """\nBe brief.\n"""\nuser """\nHi.\n"""\n'})
    bundle = driver.compile_project(driver.open_project(tmp_path), use_cache=False).bundles["p"]
    body, notes = anthropic_body(bundle, {})
    assert body["max_tokens"] == 4096 and "tools" not in body and "tool_choice" not in body
    assert any("max_tokens is 4096" in n for n in notes)
    assert any("`seed`" in n for n in notes)
    openai, _ = openai_body(bundle, {})
    assert openai["seed"] == 3 and "response_format" not in openai


# --- promptfoo --------------------------------------------------------------------------------

def test_promptfoo_config(project, bundles):
    text, notes = promptfoo_config(bundles, project, "support-desk")
    assert text.startswith("# promptfoo config for support-desk")
    config = yaml.safe_load(text)
    labels = [p["label"] for p in config["prompts"]]
    assert labels == sorted(bundles) == ["sales.outreach", "support.answer"]
    for prompt in config["prompts"]:
        assert "\n" in prompt["raw"]  # else promptfoo would take it for a file path
        messages = json.loads(prompt["raw"])
        spec = bundles[prompt["label"]]["spec"]
        assert [m["role"] for m in messages] == [m["role"] for m in spec["messages"]]
        assert all(isinstance(m["content"], str) for m in messages)
    answer = json.loads(config["prompts"][1]["raw"])
    assert "{{ question }}" in answer[-1]["content"]
    assert '{% set tier = tier if tier is defined else "free" %}' in answer[0]["content"]
    providers = {p["id"]: p for p in config["providers"]}
    assert providers["openai:chat:gpt-4o"]["prompts"] == ["support.answer"]
    assert providers["openai:chat:gpt-4o-mini"]["prompts"] == ["sales.outreach"]
    assert providers["openai:chat:gpt-4o"]["config"]["temperature"] == 0.2
    covered = sorted(label for p in config["providers"] for label in p["prompts"])
    assert covered == labels
    dataset = [json.loads(line) for line in (project / "evals" / "support_answer.jsonl").read_text().splitlines()
               if line.strip()]
    assert len(config["tests"]) == len(dataset)
    for test, record in zip(config["tests"], dataset):
        assert test["prompts"] == ["support.answer"]
        assert test["vars"] == record["vars"] and test["assert"] == record["assert"]
    assert not [n for n in notes if "not valid inputs" in n]


def test_promptfoo_list_vars_are_not_expanded(tmp_path):
    write_project(tmp_path, {"p.prompt": "---\nversion: 1.0.0\nmodel: {name: gpt-4o-mini}\neval: evals/p.jsonl\n---\n"
                                         "input tags: list[str(max_len=20)](max_items=3)\n"
                                         'user """\nTags: {{ tags | join(", ") }}\n"""\n'})
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "p.jsonl").write_text(
        '{"vars": {"tags": ["a", "b"]}, "assert": [{"type": "contains", "value": "a"}]}\n\n'
        '{"vars": {"tags": "oops"}, "extra": 1}\nnot json\n', encoding="utf-8")
    bundles = driver.compile_project(driver.open_project(tmp_path), use_cache=False).bundles
    text, notes = promptfoo_config(bundles, tmp_path)
    config = yaml.safe_load(text)
    first, second = config["tests"]
    assert first["options"] == {"disableVarExpansion": True}
    assert "options" not in second
    assert any("p.jsonl:3: extra not passed" in n for n in notes)
    assert any("p.jsonl:3: the vars are not valid inputs" in n for n in notes)
    assert any("p.jsonl:4: not JSON" in n for n in notes)
    assert all(f"# note: {n.splitlines()[0]}" in text for n in notes)


def test_nunjucks_translation():
    inputs = {"properties": {"xs": {"type": "array", "items": STRING, "default": []},
                             "name": {"anyOf": [STRING, {"type": "null"}]}, "obj": {"type": "object"}}}
    var = lambda *p: {"kind": "var", "path": list(p)}  # noqa: E731
    const = lambda v: {"kind": "const", "value": v}  # noqa: E731
    nodes = [
        {"kind": "text", "text": "Literal {{ braces }} and {% tags %}: "},
        {"kind": "expr", "expr": {"kind": "filter", "name": "default", "arg": var("name"), "args": [const("you")]}},
        {"kind": "if", "branches": [{"cond": var("xs"), "body": [{"kind": "text", "text": "has"}]}],
         "else": [{"kind": "text", "text": "none"}]},
        {"kind": "for", "var": "x", "iter": var("xs"), "body": [
            {"kind": "expr", "expr": {"kind": "var", "path": ["loop", "index"]}},
            {"kind": "expr", "expr": {"kind": "filter", "name": "upper", "arg": var("x"), "args": []}}]},
        {"kind": "expr", "expr": {"kind": "compare", "op": "not-in", "left": const("a"), "right": var("xs")}},
        {"kind": "expr", "expr": var("obj")},
    ]
    assert message_template(nodes, inputs) == (
        "{% set xs = xs if xs is defined else [] %}"
        'Literal {{ "{{" }} braces }} and {{ "{%" }} tags %}: '
        '{{ (name if name != none else "you") }}'
        "{% if (xs | length) %}has{% else %}none{% endif %}"
        "{% for x in xs %}{{ loop.index }}{{ x | upper }}{% endfor %}"
        '{{ "true" if (not ("a" in xs)) else "false" }}'
        "{{ obj | dump }}")
    assert literal({"a": [1, None, True, "q\"uote"]}) == '{"a": [1, none, true, "q\\"uote"]}'


def _nunjucks_dir() -> str | None:
    """A node_modules with nunjucks (NUNJUCKS_NODE_PATH), to check the templates render."""
    path = os.environ.get("NUNJUCKS_NODE_PATH") or str(Path(__file__).parent / "nunjucks" / "node_modules")
    if not path or not shutil.which("node") or not (Path(path) / "nunjucks").is_dir():
        return None
    return path


RENDER_JS = """
const nunjucks = require('nunjucks');
const env = new nunjucks.Environment(null, {autoescape: false});
env.addFilter('dump', (o) => JSON.stringify(o));
let input = '';
process.stdin.on('data', (d) => input += d);
process.stdin.on('end', () => {
  const {templates, vars} = JSON.parse(input);
  console.log(JSON.stringify(templates.map((t) => env.renderString(t, vars))));
});
"""


@pytest.mark.skipif(_nunjucks_dir() is None,
                    reason=missing("nunjucks", "or set NUNJUCKS_NODE_PATH to a node_modules with nunjucks"))
@pytest.mark.parametrize("name, inputs", [
    ("support.answer", None), ("sales.outreach", None),
    ("support.answer", {"question": "Hi?"}),
    ("support.answer", {"question": "Hi?", "tier": "enterprise", "channel": "email", "customer_name": None,
                        "workspace": {"company": "X", "seats": 2, "addons": []}}),
    ("sales.outreach", {"prospect": {"first_name": "A", "company": "B", "team_size": 12}, "trigger": "webinar",
                        "current_plan": "pro", "sender": {"name": "S", "title": "T"}}),
])
def test_nunjucks_renders_what_promptc_renders(bundles, name, inputs):
    inputs = inputs if inputs is not None else inputs_of(name)
    bundle = bundles[name]
    templates = [message_template(m["content"], bundle["spec"]["inputs"]) for m in bundle["spec"]["messages"]]
    run = subprocess.run(["node", "-e", RENDER_JS], input=json.dumps({"templates": templates, "vars": inputs}),
                         capture_output=True, text=True, env={**os.environ, "NODE_PATH": _nunjucks_dir()},
                         check=True)
    assert json.loads(run.stdout) == [m.content for m in load(bundle).render(inputs).messages]


# --- the command --------------------------------------------------------------------------------

def test_export_commands(project, tmp_path):
    runner = CliRunner()
    args = ["--project", str(project), "--inputs", str(project / "inputs" / "answer.json")]
    openai = runner.invoke(main, ["export", "support.answer", "--format", "openai", *args], catch_exceptions=False)
    assert openai.exit_code == 0, openai.output
    Draft202012Validator(OPENAI_BODY).validate(json.loads(openai.stdout))
    assert "note: response_format is not strict" in openai.stderr
    anthropic = runner.invoke(main, ["export", "support.answer", "--format", "anthropic", *args],
                              catch_exceptions=False)
    assert anthropic.exit_code == 0, anthropic.output
    Draft202012Validator(ANTHROPIC_BODY).validate(json.loads(anthropic.stdout))
    out = tmp_path / "promptfooconfig.yaml"
    promptfoo = runner.invoke(main, ["export", "--format", "promptfoo", "--project", str(project), "--out", str(out)],
                              catch_exceptions=False)
    assert promptfoo.exit_code == 0, promptfoo.output
    assert promptfoo.stdout == ""
    assert [p["label"] for p in yaml.safe_load(out.read_text())["prompts"]] == ["sales.outreach", "support.answer"]
    one = runner.invoke(main, ["export", "sales.outreach", "--format", "promptfoo", "--project", str(project)])
    assert [p["label"] for p in yaml.safe_load(one.stdout)["prompts"]] == ["sales.outreach"]


@pytest.mark.parametrize("args, code, message", [
    (["export", "--format", "openai"], 2, "needs the NAME of a prompt"),
    (["export", "support.answr", "--format", "openai"], 2, "did you mean `support.answer`"),
    (["export", "--format", "promptfoo", "--inputs", "x.json"], 2, "--inputs applies to"),
    (["export", "support.answer", "--format", "anthropic"], 1, "question: is required"),
    (["export", "support.answer", "--format", "xml"], 2, "xml"),
])
def test_export_errors(project, args, code, message):
    result = CliRunner().invoke(main, [*args, "--project", str(project)])
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_export_without_a_model(tmp_path):
    write_project(tmp_path, {"p.prompt": '---\nversion: 1.0.0\n---\nuser """\nHi.\n"""\n'})
    result = CliRunner().invoke(main, ["export", "p", "--format", "openai", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert "names no model" in result.stderr
    config = CliRunner().invoke(main, ["export", "--format", "promptfoo", "--project", str(tmp_path)])
    assert config.exit_code == 0, config.output
    assert yaml.safe_load(config.stdout)["providers"] == [{"id": "echo", "label": "echo", "prompts": ["p"]}]


def test_nunjucks_keeps_the_callers_loop_in_a_fragments_loop(tmp_path):
    """A `for` node that binds its fields under another name (a fragment's loop, inlined where
    an argument reads the caller's `loop`) keeps both loops apart in Nunjucks too."""
    result = compile_files(tmp_path, {"a.prompt": (
        "---\nversion: 1.0.0\nowner: a@example.com\npurpose: Test.\n---\n"
        'input rows: list[list[str]]\n'
        'fragment f(i: int, ts: list[str]) """{% for t in ts %}{{ i }}{{ t }}{{ loop.index }} {% endfor %}"""\n'
        'user """\n{% for r in rows %}{{ f(i=loop.index, ts=r) }}\n{% endfor %}\n"""\n')})
    assert result.ok, [d.message for d in result.diagnostics]
    bundle = result.bundles["a"]
    template = message_template(bundle["spec"]["messages"][0]["content"], bundle["spec"]["inputs"])
    assert template == ("{% for r in rows %}{% set __outer_loop_ = loop %}{% for t in r %}{% set loop_ = loop %}"
                        "{{ __outer_loop_.index }}{{ t }}{{ loop_.index }} {% endfor %}\n{% endfor %}")
    inputs = {"rows": [["a", "b"], ["c"]]}
    expected = load(bundle).render(inputs).messages[0].content
    assert expected == "1a1 1b2 \n2c1 \n"
    if _nunjucks_dir() is None:
        pytest.skip("set NUNJUCKS_NODE_PATH to a node_modules with nunjucks to render it")
    run = subprocess.run(["node", "-e", RENDER_JS], input=json.dumps({"templates": [template], "vars": inputs}),
                         capture_output=True, text=True, env={**os.environ, "NODE_PATH": _nunjucks_dir()}, check=True)
    assert json.loads(run.stdout) == [expected]
