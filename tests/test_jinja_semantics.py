"""Templates mean what Jinja2 means: each case is rendered by Jinja2 itself (trim_blocks,
lstrip_blocks; fragments as macros) and by both runtimes from the compiled bundle."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from promptc.runtime import load

from .helpers import codes, compile_files
from .js_batch import JS_SKIP, js_batch

HEAD = "---\nversion: 1.0.0\nowner: a@example.com\npurpose: Test.\n---\n"
JINJA = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def compile_module(tmp_path: Path, body: str) -> dict:
    result = compile_files(tmp_path, {"a.prompt": HEAD + body})
    assert result.ok, [(d.code.name, d.message) for d in result.diagnostics]
    return result.bundles["a"]


def render_both(bundle: dict, inputs: dict) -> tuple[str, str | None]:
    """The user message from the Python runtime and from the JavaScript one (None when it
    cannot run here)."""
    python = load(bundle).render(inputs).messages[0].content
    if JS_SKIP:
        return python, None
    answer = js_batch([{"bundle": json.dumps(bundle), "inputs": json.dumps(inputs)}])[0]
    return python, answer["messages"][0]["content"]


def check(tmp_path: Path, body: str, jinja_source: str, inputs: dict, expected: str) -> dict:
    assert JINJA.from_string(jinja_source).render(**inputs) == expected  # Jinja2's own answer
    bundle = compile_module(tmp_path, body)
    python, js = render_both(bundle, inputs)
    assert python == expected
    assert js in (None, expected)
    return bundle


def test_a_fragments_loop_does_not_capture_the_callers_loop(tmp_path: Path) -> None:
    bundle = check(
        tmp_path,
        'input rows: list[list[str]]\n'
        'fragment f(i: int, ts: list[str]) """{% for t in ts %}{{ i }}{{ t }} {% endfor %}"""\n'
        'user """\n{% for r in rows %}{{ f(i=loop.index, ts=r) }}\n{% endfor %}\n"""\n',
        "{% macro f(i, ts) %}{% for t in ts %}{{ i }}{{ t }} {% endfor %}{% endmacro %}"
        "{% for r in rows %}{{ f(i=loop.index, ts=r) }}\n{% endfor %}",
        {"rows": [["a", "b"], ["c"]]}, "1a 1b \n2c \n")
    inner = bundle["spec"]["messages"][0]["content"][0]["body"][0]
    assert inner["kind"] == "for" and inner["loop"] == "loop_"


def test_a_fragment_without_a_loop_argument_keeps_plain_loops(tmp_path: Path) -> None:
    """Only a loop that would hide the caller's `loop` gets renamed fields: others (and so
    every hash written before) are unchanged."""
    bundle = check(
        tmp_path,
        'input rows: list[list[str]]\n'
        'fragment f(ts: list[str]) """{% for t in ts %}{{ loop.index }}{{ t }} {% endfor %}"""\n'
        'user """\n{% for r in rows %}{{ loop.index }}:{{ f(ts=r) }}\n{% endfor %}\n"""\n',
        "{% macro f(ts) %}{% for t in ts %}{{ loop.index }}{{ t }} {% endfor %}{% endmacro %}"
        "{% for r in rows %}{{ loop.index }}:{{ f(ts=r) }}\n{% endfor %}",
        {"rows": [["a", "b"], ["c"]]}, "1:1a 2b \n2:1c \n")
    inner = bundle["spec"]["messages"][0]["content"][0]["body"][2]
    assert inner["kind"] == "for" and "loop" not in inner


def test_nested_fragments_keep_each_callers_loop(tmp_path: Path) -> None:
    check(
        tmp_path,
        'input rows: list[list[str]]\n'
        'fragment g(k: int, j: int, u: str) """[{{ k }}.{{ j }}.{{ u }}]"""\n'
        'fragment f(i: int, ts: list[str]) """{% for t in ts %}{{ g(k=i, j=loop.index, u=t) }}{% endfor %}"""\n'
        'user """\n{% for r in rows %}{{ f(i=loop.index, ts=r) }}\n{% endfor %}\n"""\n',
        "{% macro g(k, j, u) %}[{{ k }}.{{ j }}.{{ u }}]{% endmacro %}"
        "{% macro f(i, ts) %}{% for t in ts %}{{ g(k=i, j=loop.index, u=t) }}{% endfor %}{% endmacro %}"
        "{% for r in rows %}{{ f(i=loop.index, ts=r) }}\n{% endfor %}",
        {"rows": [["a", "b"], ["c"]]}, "[1.1.a][1.2.b]\n[2.1.c]\n")


def test_a_renamed_loop_variable_does_not_collide_with_a_parameter(tmp_path: Path) -> None:
    check(
        tmp_path,
        'input xs: list[str]\ninput ys: list[str]\n'
        'fragment f(p_: str, ts: list[str]) """{% for p in ts %}{{ p_ }}{{ p }} {% endfor %}"""\n'
        'user """\n{% for p in xs %}{{ f(p_=p, ts=ys) }}\n{% endfor %}\n"""\n',
        "{% macro f(p_, ts) %}{% for p in ts %}{{ p_ }}{{ p }} {% endfor %}{% endmacro %}"
        "{% for p in xs %}{{ f(p_=p, ts=ys) }}\n{% endfor %}",
        {"xs": ["X", "Y"], "ys": ["a", "b"]}, "Xa Xb \nYa Yb \n")


def test_join_without_a_separator_joins_with_nothing(tmp_path: Path) -> None:
    bundle = check(tmp_path, 'input xs: list[str]\nuser """\n[{{ xs | join }}]\n"""\n',
                   "[{{ xs | join }}]", {"xs": ["a", "b", "c"]}, "[abc]")
    assert bundle["spec"]["messages"][0]["content"][1]["expr"]["args"] == [{"kind": "const", "value": ""}]


@pytest.mark.parametrize("name, expected", [("Bo", "Hi Bo, Bo!"), ("", "Hi friend, !"), (None, "Hi friend, !")])
def test_or_and_render_jinja2_values(tmp_path: Path, name, expected: str) -> None:
    inputs = {} if name is None else {"name": name}
    jinja_inputs = {"name": name}
    source = '{{ "Hi " }}{{ name or "friend" }}, {{ name and name }}!'
    assert JINJA.from_string(source.replace("name and name", "name and name or ''")).render(**jinja_inputs) \
        == expected  # `or ''`: Jinja2 would print None for a missing name; promptc prints ""
    bundle = compile_module(tmp_path, f'input name: str?\nuser """\n{source}\n"""\n')
    python, js = render_both(bundle, inputs)
    assert python == expected and js in (None, expected)


def test_or_chains_and_mixes_follow_jinja2(tmp_path: Path) -> None:
    check(tmp_path, 'input a: str\ninput b: str\ninput c: str\n'
                    'user """\n{{ a or b or c }}|{{ a and b or c }}|{{ a or b and c }}|{{ not a or b }}\n"""\n',
          "{{ a or b or c }}|{{ a and b or c }}|{{ a or b and c }}|{{ (not a or b) | lower }}",
          {"a": "", "b": "B", "c": "C"}, "B|C|C|true")


@pytest.mark.parametrize("expr", ['(name or "x") | upper', 'name | default(name or "x")',
                                  '(name or "x") == "x"'])
def test_or_where_its_value_would_differ_is_an_error_pointing_at_default(tmp_path: Path, expr: str) -> None:
    result = compile_files(tmp_path, {"a.prompt": HEAD + f'input name: str?\nuser """\n{{{{ {expr} }}}}\n"""\n'})
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.code.name for d in errors] == ["non-portable-template"], [d.message for d in errors]
    assert "default(" in " ".join(errors[0].notes)


def test_or_in_a_condition_is_its_truthiness(tmp_path: Path) -> None:
    check(tmp_path, 'input a: str\ninput b: int\n'
                    'user """\n{% if a or b %}yes{% endif %}{% if not (a and b) %}!{% endif %}\n"""\n',
          "{% if a or b %}yes{% endif %}{% if not (a and b) %}!{% endif %}", {"a": "", "b": 2}, "yes!")


def test_loop_as_a_loop_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(jinja2.TemplateSyntaxError):
        JINJA.from_string("{% for loop in xs %}{{ loop }}{% endfor %}")
    result = compile_files(tmp_path, {"a.prompt": HEAD + 'input xs: list[str]\nuser """\n'
                                      '{% for loop in xs %}{{ loop }}{% endfor %}\n"""\n'})
    assert codes(result) == ["non-portable-template"]
    (diag,) = result.diagnostics
    assert "`loop` cannot be a loop variable" in diag.message and (diag.span.line, diag.span.column) == (8, 8)
