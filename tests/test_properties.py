"""Property tests: the parser never raises, and the hash follows behaviour, not layout."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from promptc.runtime import spec_hash
from promptc.source import SourceFile
from promptc.syntax import parse_module
from promptc.syntax.template import parse_template

from .helpers import compile_files

BASE = '''---
version: 1.0.0
purpose: Answer questions.
---
import shared.tone
type Tier = "free" | "pro"
input tier: Tier = "free"
input question: str
tool search(q: str) "Search."
system """
You help. {{ tone.friendly }}
{% if tier == "pro" %}Be quick.{% endif %}
Use {{ tools.search }}.
"""
user """
{{ question }}
"""
'''
LIB = 'fragment friendly """\nBe kind.\n"""\n'

ALPHABET = string.printable + '"{}%#-—é漢🙂\u0301'
fragments = st.sampled_from([
    "import ", "from ", " import ", "type ", "input ", "tool ", "output json ", "fragment ", "system ",
    '"""', '"', "{{ ", " }}", "{% if x %}", "{% endif %}", "---\n", ":", "=", "(", ")", "[", "]", "{", "}",
    ",", "|", "?", "\n", "# c\n", "str", "list[", "x", "1.0", "-",
])
source_text = st.lists(st.one_of(fragments, st.text(ALPHABET, max_size=8)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_text)
def test_parser_never_raises(text: str) -> None:
    module, diags = parse_module(SourceFile("fuzz.prompt", text, "fuzz"))
    for d in diags:
        assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
    for decl in module.decls:
        body = getattr(decl, "body", None)
        if body is not None:
            parse_template(SourceFile("fuzz.prompt", text, "fuzz"), body)


def _hash(files: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        result = compile_files(Path(tmp), files)
        assert result.ok, [d.message for d in result.diagnostics]
        bundle = result.bundles["answer"]
        assert bundle["hash"] == spec_hash(bundle["spec"])
        return bundle["hash"]


BASE_HASH = _hash({"answer.prompt": BASE, "shared/tone.prompt": LIB})

layout_edits = st.sampled_from([
    lambda s: s.replace("input question: str", "input   question :  str  # the question"),
    lambda s: s.replace("purpose: Answer questions.", "purpose: Something else entirely."),
    lambda s: s.replace("---\nimport", "---\n# a comment line\n\nimport"),
    lambda s: s.replace("tool search(q: str)", "tool search(\n    q: str,\n)"),
    lambda s: s.replace('type Tier = "free" | "pro"\ninput tier: Tier = "free"\n',
                        'input tier: Tier = "free"\ntype Tier = "free" | "pro"\n'),
    lambda s: s.replace("version: 1.0.0", "version: 1.0.0\nowner: someone@example.com\ntags: [a, b]"),
    lambda s: s.replace('system """\nYou help.', 'system """\n    You help.').replace(
        '{% if tier', '    {% if tier').replace("Use {{", "    Use {{"),
])


@settings(max_examples=30, deadline=None)
@given(st.lists(layout_edits, min_size=1, max_size=4, unique_by=id), st.booleans())
def test_layout_comment_and_metadata_edits_keep_the_hash(edits, crlf: bool) -> None:
    text = BASE
    for edit in edits:
        text = edit(text)
    if crlf:
        text = text.replace("\n", "\r\n")
    assert _hash({"answer.prompt": text, "shared/tone.prompt": LIB}) == BASE_HASH


@settings(max_examples=30, deadline=None)
@given(st.text(string.ascii_letters + " .,!é漢🙂", min_size=1, max_size=12))
def test_any_text_edit_changes_the_hash(inserted: str) -> None:
    assume(inserted.strip())
    text = BASE.replace("You help.", "You help." + inserted)
    assert _hash({"answer.prompt": text, "shared/tone.prompt": LIB}) != BASE_HASH


def test_a_change_in_an_imported_module_changes_the_hash() -> None:
    assert _hash({"answer.prompt": BASE, "shared/tone.prompt": LIB.replace("kind", "kind and brief")}) != BASE_HASH


template_pieces = st.sampled_from([
    "{{ name }}", "{{ name | upper }}", "{{ items | join(', ') }}", "{{ opt }}", "{{ opt | trim }}",
    "{% if opt %}", "{% if n >= 2 %}", "{% if tier == 'pro' %}", "{% elif tier in ['a'] %}", "{% else %}",
    "{% endif %}", "{% for x in items %}", "{% for t in turns %}{{ t.text }}", "{{ loop.index }}",
    "{% endfor %}", "{{ frag }}", "{{ frag(who=name) }}", "{{ frag(who=1) }}", "{{ tools.search }}",
    "{{ tools.nope }}", "{{ x.y.z }}", "{{ name ~ 'a' }}", "{% set a = 1 %}", "{{ name() }}",
    "{{ 1 + 2 }}", "{{ name if opt else 'x' }}", "{# c #}", "{{", "}}", "{%", "%}", "text ", "\n",
    "{{ name | default('x') | length }}", "{{ turns | tojson }}", "{{ not opt and n < 3 }}",
    "{{ lib.hello }}", "{{ lib.missing }}", "{{ lib.hello(x=1) }}", "{% raw %}{{ }}{% endraw %}",
])
MODULE = '''---
version: 1.0.0
---
import lib
type Turn {{ text: str }}
input name: str
input opt: str?
input n: int?
input tier: "pro" | "free" = "free"
input items: list[str] = []
input turns: list[Turn] = []
tool search(q: str) "Search."
fragment frag(who: str) """
Hi {{{{ who }}}}
"""
system """
{body}
"""
'''


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(template_pieces, max_size=12).map("".join))
def test_checker_never_raises_on_template_text(body: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = compile_files(Path(tmp), {"a.prompt": MODULE.format(body=body.replace('"""', "")),
                                           "lib.prompt": 'fragment hello """\nHello\n"""\n'})
        for d in result.diagnostics:
            assert d.span is not None and d.span.line >= 1
        if result.ok:
            assert "a" in result.bundles
