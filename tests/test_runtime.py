"""Tests for promptc.runtime: hashing, verification, input validation and IR rendering.

Bundles are built by hand (`make_bundle`) so the runtime is tested against docs/ir.md alone,
independently of the compiler.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import promptc
from promptc.runtime import (
    FORMAT,
    Bundle,
    BundleFormatError,
    InputError,
    IntegrityError,
    Message,
    PromptcRuntimeError,
    RenderError,
    bundle_schema,
    canonical_json,
    load,
    load_dir,
    spec_hash,
)
from promptc.runtime.semver import semver_key

# --- IR builders -------------------------------------------------------------------------


def T(text):
    return {"kind": "text", "text": text}


def X(expr):
    return {"kind": "expr", "expr": expr}


def V(*path):
    return {"kind": "var", "path": list(path)}


def C(value):
    return {"kind": "const", "value": value}


def F(name, arg, *args):
    return {"kind": "filter", "name": name, "arg": arg, "args": list(args)}


def CMP(op, left, right):
    return {"kind": "compare", "op": op, "left": left, "right": right}


def AND(*args):
    return {"kind": "and", "args": list(args)}


def OR(*args):
    return {"kind": "or", "args": list(args)}


def NOT(arg):
    return {"kind": "not", "arg": arg}


def IF(branches, else_=()):
    return {"kind": "if", "branches": [{"cond": c, "body": list(b)} for c, b in branches],
            "else": list(else_)}


def FOR(var, iter_, body):
    return {"kind": "for", "var": var, "iter": iter_, "body": list(body)}


def make_bundle(messages, properties=None, required=(), tools=(), output=None, model=None,
                name="test.demo", version="1.0.0"):
    """A complete bundle dict whose hash is computed with spec_hash, like the compiler's."""
    spec = {
        "model": model if model is not None else {},
        "inputs": {"type": "object", "properties": properties or {},
                   "required": sorted(required), "additionalProperties": False},
        "messages": messages,
        "tools": list(tools),
        "output": output or {"type": "text"},
    }
    return {
        "format": FORMAT, "name": name, "version": version, "hash": spec_hash(spec), "spec": spec,
        "meta": {"purpose": "Testing.", "owner": "qa@example.com", "risk": "low", "tags": []},
        "provenance": {"modules": {name: spec_hash({"m": name})}, "compiler": "promptc 0.1.0"},
        "tokens": {"encoding": "cl100k_base", "messages": [0] * len(messages)},
    }


def render_nodes(nodes, inputs=None, properties=None):
    """Render one user message made of `nodes`; inputs get permissive schemas by default."""
    inputs = inputs or {}
    props = properties if properties is not None else {key: {} for key in inputs}
    bundle = load(make_bundle([{"role": "user", "content": nodes}], props))
    return bundle.render(inputs).messages[0].content


TIER = {"enum": ["free", "pro", "enterprise"], "default": "free"}
TURN = {"type": "object", "additionalProperties": False, "required": ["role", "text"],
        "properties": {"role": {"enum": ["customer", "agent"]},
                       "text": {"type": "string", "maxLength": 10}}}
SUPPORT_PROPS = {
    "customer_name": {"type": "string", "maxLength": 10},
    "tier": TIER,
    "history": {"type": "array", "items": TURN, "default": []},
    "nickname": {"type": "string"},
}


def support_bundle():
    """A realistic bundle using every node kind, tools and a JSON output."""
    system = [
        T("Hello "), X(F("title", V("customer_name"))), T(".\n"),
        IF([(CMP("==", V("tier"), C("enterprise")), [T("Offer a call.")]),
            (CMP("in", V("tier"), C(["pro"])), [T("Pro user.")])], [T("Free user.")]),
    ]
    user = [FOR("turn", V("history"), [X(V("turn", "role")), T(": "), X(V("turn", "text")), T("\n")])]
    tools = [{"name": "search_kb", "description": "Search.", "requires_approval": False,
              "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                             "required": ["query"], "additionalProperties": False}}]
    output = {"type": "json", "schema": {"type": "object", "properties": {"answer": {"type": "string"}}}}
    return make_bundle([{"role": "system", "content": system}, {"role": "user", "content": user}],
                       SUPPORT_PROPS, required=["customer_name"], tools=tools, output=output,
                       model={"name": "gpt-4o", "temperature": 0.2}, name="support.answer",
                       version="1.4.0")


# --- nodes -------------------------------------------------------------------------------


def test_text_nodes_concatenate_verbatim():
    assert render_nodes([T("a\n"), T(""), T("  b ")]) == "a\n  b "


@pytest.mark.parametrize("text", ["{{ x }}", "{% if x %}y{% endif %}", "{# c #}", "${x} %s {0}"])
def test_template_looking_text_is_literal(text):
    assert render_nodes([T(text)], {"x": "EVAL"}) == text


@pytest.mark.parametrize("value, expected", [
    ("s", "s"), (None, ""), (True, "true"), (False, "false"), (0, "0"), (-42, "-42"),
    (2**53 - 1, "9007199254740991"), (1.0, "1"), (-3.0, "-3"), (-0.0, "0"), (2.5, "2.5"), (0.1, "0.1"),
    (9999999999999998.0, "9999999999999998"), (1e16, "1e+16"), (-1e16, "-1e+16"),
    ([1, "a", None, True], '[1, "a", null, true]'),
    ({"b": 1, "a": [{"é": 2.0}, -0.0, 1e16, 0.5]}, '{"a": [{"é": 2}, 0, 1e+16, 0.5], "b": 1}'),
    ([], "[]"), ({}, "{}"),
])
def test_expr_stringifies_values(value, expected):
    assert render_nodes([X(C(value))]) == expected
    assert render_nodes([X(V("v"))], {"v": value}) == expected


@pytest.mark.parametrize("value", [None, False, 0, 0.0, -0.0, "", [], {}])
def test_falsy_values_take_else(value):
    assert render_nodes([IF([(C(value), [T("yes")])], [T("no")])]) == "no"


@pytest.mark.parametrize("value", [True, 1, -1, 0.5, "0", "false", " ", [0], [None], {"a": None}])
def test_truthy_values_take_branch(value):
    assert render_nodes([IF([(C(value), [T("yes")])], [T("no")])]) == "yes"


def test_if_takes_first_truthy_branch_only():
    node = IF([(CMP("==", V("n"), C(1)), [T("one")]), (CMP(">", V("n"), C(0)), [T("positive")]),
               (C(True), [T("always")])], [T("else")])
    assert render_nodes([node], {"n": 1}) == "one"
    assert render_nodes([node], {"n": 5}) == "positive"
    assert render_nodes([node], {"n": -5}) == "always"


def test_if_without_match_and_empty_else_renders_nothing():
    assert render_nodes([T("<"), IF([(C(False), [T("x")])]), T(">")]) == "<>"


def test_for_binds_item_and_loop_fields():
    body = [X(V("loop", "index")), T(":"), X(V("x")), T(":"), X(V("loop", "first")), T(":"),
            X(V("loop", "last")), T(";")]
    assert render_nodes([FOR("x", V("xs"), body)], {"xs": ["a", "b", "c"]}) == (
        "1:a:true:false;2:b:false:false;3:c:false:true;")
    assert render_nodes([FOR("x", V("xs"), body)], {"xs": ["only"]}) == "1:only:true:true;"


def test_nested_loops_have_their_own_loop_fields_and_see_outer_variables():
    inner = FOR("y", V("x", "ys"), [
        X(V("x", "n")), T("."), X(V("loop", "index")), T("="), X(V("y")),
        IF([(V("loop", "last"), [T("|")])], [T(",")]),
    ])
    outer = FOR("x", V("rows"), [inner, X(V("loop", "index")),
                                 IF([(V("loop", "first"), [T("F")])]), T("\n")])
    rows = [{"n": "A", "ys": [1, 2]}, {"n": "B", "ys": [3]}]
    assert render_nodes([outer], {"rows": rows}) == "A.1=1,A.2=2|1F\nB.1=3|2\n"


def test_loop_variable_shadows_input_and_scope_ends_with_loop():
    nodes = [FOR("name", V("names"), [X(V("name"))]), T("/"), X(V("name"))]
    assert render_nodes(nodes, {"names": ["a", "b"], "name": "input"}) == "ab/input"


def test_loop_outside_any_for_is_an_ordinary_name():
    assert render_nodes([X(V("loop", "index"))]) == ""
    assert render_nodes([X(V("loop"))], {"loop": "input"}) == "input"


def test_for_over_empty_or_missing_list_renders_nothing():
    props = {"xs": {"type": "array"}}
    assert render_nodes([T("["), FOR("x", V("xs"), [T("x")]), T("]")], {"xs": []}, props) == "[]"
    assert render_nodes([T("["), FOR("x", V("xs"), [T("x")]), T("]")], {}, props) == "[]"


def test_for_over_non_list_is_a_render_error():
    with pytest.raises(RenderError, match="needs a list, got string"):
        render_nodes([FOR("x", V("xs"), [T("x")])], {"xs": "abc"})


# --- expressions -------------------------------------------------------------------------


@pytest.mark.parametrize("path, expected", [
    (["user", "name"], "Ada"), (["user", "missing"], ""), (["user", "name", "deeper"], ""),
    (["user", "nothing", "deeper"], ""), (["absent"], ""), (["absent", "x"], ""),
    (["user", "tags"], '["a"]'),
])
def test_var_paths_give_null_when_missing(path, expected):
    user = {"name": "Ada", "nothing": None, "tags": ["a"]}
    assert render_nodes([X(V(*path))], {"user": user}, {"user": {}, "absent": {}}) == expected


def test_missing_value_is_null_not_empty_string():
    cond = CMP("==", V("absent"), C(None))
    assert render_nodes([IF([(cond, [T("null")])], [T("other")])], {}, {"absent": {}}) == "null"


def test_const_values_are_json():
    assert render_nodes([X(C({"k": [1, 2.5, None]}))]) == '{"k": [1, 2.5, null]}'


@pytest.mark.parametrize("name, value, args, expected", [
    ("upper", "straße ǆ é", [], "STRASSE Ǆ É"),
    ("upper", 5, [], "5"),
    ("lower", "ÀB ΣΑΣ", [], "àb σας"),
    ("trim", "\u3000\u2003 hi there \n\t\u00a0", [], "hi there"),
    ("trim", "\x1chi\x1c", [], "\x1chi\x1c"),  # U+001C is not Unicode White_Space
    ("trim", None, [], ""),
    ("title", "hello  wORLD\tfoo-bar", [], "Hello  World\tFoo-bar"),
    ("title", "élan\u3000vital", [], "Élan\u3000Vital"),
    ("join", [1, "a", None, True, 2.0], [", "], "1, a, , true, 2"),
    ("join", ["x", "y"], [""], "xy"),
    ("join", None, ["-"], ""),
    ("default", None, ["fallback"], "fallback"),
    ("default", "", ["fallback"], ""),
    ("default", False, ["fallback"], "false"),
    ("length", "héllo👩", [], "6"),
    ("length", "e\u0301", [], "2"),
    ("length", [1, [2, 3]], [], "2"),
    ("length", {"a": 1, "b": 2, "c": 3}, [], "3"),
    ("length", None, [], "0"),
    ("tojson", {"b": "é", "a": [1, 1.5, None, False]}, [], '{"a": [1, 1.5, null, false], "b": "é"}'),
    ("tojson", "quote\"", [], '"quote\\""'),
    ("tojson", None, [], "null"),
])
def test_filters(name, value, args, expected):
    assert render_nodes([X(F(name, C(value), *[C(a) for a in args]))]) == expected


def test_default_applies_to_missing_inputs_and_filters_chain():
    expr = F("upper", F("default", V("nick"), C("anon")))
    assert render_nodes([X(expr)], {}, {"nick": {"type": "string"}}) == "ANON"
    assert render_nodes([X(expr)], {"nick": "bo"}, {"nick": {"type": "string"}}) == "BO"


def test_length_of_number_is_a_render_error():
    with pytest.raises(RenderError, match="length"):
        render_nodes([X(F("length", C(3)))])


@pytest.mark.parametrize("op, left, right, expected", [
    ("==", 1, 1.0, True), ("==", True, 1, False), ("==", 0, False, False), ("==", "1", 1, False),
    ("==", None, None, True), ("==", None, "", False),
    ("==", [1, {"a": [True]}], [1.0, {"a": [True]}], True),
    ("==", {"a": 1}, {"a": 1, "b": 2}, False), ("==", [1, 2], [2, 1], False),
    ("!=", "a", "a", False), ("!=", 1, 2, True), ("!=", [True], [1], True),
    ("<", 1, 2.5, True), ("<", 2, 2, False), ("<=", 2, 2.0, True), (">", -1, -2, True),
    (">=", 3, 4, False), ("<", "B", "a", True), ("<", "z", "é", True), (">", "ab", "a", True),
    ("<", "\uffff", "😀", True),  # code point order, not UTF-16 code unit order
    ("in", 1.0, [1, 2], True), ("in", True, [1], False), ("in", "b", ["a", "b"], True),
    ("in", {"k": 1}, [{"k": 1.0}], True), ("in", "ell", "hello", True), ("in", "", "x", True),
    ("in", "z", "hello", False), ("in", "x", None, False),
    ("not-in", 3, [1, 2], True), ("not-in", "ell", "hello", False),
])
def test_compare(op, left, right, expected):
    assert render_nodes([X(CMP(op, C(left), C(right)))]) == ("true" if expected else "false")


@pytest.mark.parametrize("op, left, right", [
    ("<", 1, "2"), (">=", None, 1), ("<", True, 2), ("<", [1], [2]), ("in", 1, "123"), ("in", "a", {"a": 1}),
])
def test_compare_with_incompatible_types_is_a_render_error(op, left, right):
    with pytest.raises(RenderError):
        render_nodes([X(CMP(op, C(left), C(right)))])


@pytest.mark.parametrize("expr, expected", [
    (AND(C(1), C("x")), "true"), (AND(C(1), C("")), "false"), (AND(C(True)), "true"),
    (OR(C(""), C("x")), "true"), (OR(C(0), C([])), "false"), (OR(C({})), "false"),
    (NOT(C([])), "true"), (NOT(C("x")), "false"), (NOT(NOT(C(2))), "true"),
])
def test_boolean_logic_returns_bools(expr, expected):
    assert render_nodes([X(expr)]) == expected


def test_and_or_short_circuit():
    boom = CMP("<", C(1), C("x"))  # raises if evaluated
    assert render_nodes([X(AND(C(False), boom)), X(OR(C(True), boom))]) == "falsetrue"


# --- inputs ------------------------------------------------------------------------------


def test_defaults_are_applied_and_optional_missing_inputs_render_empty():
    rendered = load(support_bundle()).render({"customer_name": "ada byron"})
    system, user = rendered.messages
    assert system == Message("system", "Hello Ada Byron.\nFree user.")
    assert user == Message("user", "")
    assert render_nodes([T("<"), X(V("nickname")), T(">")], {}, SUPPORT_PROPS) == "<>"


def test_given_inputs_override_defaults():
    rendered = load(support_bundle()).render({
        "customer_name": "bo", "tier": "enterprise",
        "history": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": "hello"}]})
    assert rendered.messages[0].content == "Hello Bo.\nOffer a call."
    assert rendered.messages[1].content == "customer: hi\nagent: hello\n"


def test_invalid_inputs_report_every_problem_with_paths():
    bundle = load(support_bundle())
    with pytest.raises(InputError) as info:
        bundle.render({"tier": "gold", "nickname": 7, "history": [
            {"role": "customer", "text": "x" * 11}, {"role": "bot", "text": "ok", "extra": 1}],
            "unknown": True})
    issues = {issue.path: issue.message for issue in info.value.errors}
    assert set(issues) == {"customer_name", "tier", "nickname", "history[0].text",
                           "history[1].role", "history[1].extra", "unknown"}
    assert "required" in issues["customer_name"]
    assert '"gold"' in issues["tier"] and '"free", "pro", "enterprise"' in issues["tier"]
    assert "expected string" in issues["nickname"] and "integer" in issues["nickname"]
    assert "11 characters" in issues["history[0].text"] and "at most 10" in issues["history[0].text"]
    assert '"customer", "agent"' in issues["history[1].role"]
    assert "allowed: role, text" in issues["history[1].extra"]
    assert "allowed: customer_name, history, nickname, tier" in issues["unknown"]
    message = str(info.value)
    assert "support.answer@1.4.0" in message.splitlines()[0]
    assert "7 problems" in message and "history[0].text" in message


def test_non_object_inputs_are_an_input_error():
    with pytest.raises(InputError) as info:
        load(support_bundle()).render(["customer_name"])
    assert [issue.path for issue in info.value.errors] == ["<inputs>"]


def test_input_errors_are_runtime_errors():
    assert issubclass(InputError, PromptcRuntimeError)
    assert issubclass(IntegrityError, PromptcRuntimeError)
    assert issubclass(BundleFormatError, PromptcRuntimeError)


def test_input_validator_is_cached_per_bundle():
    bundle = load(support_bundle())
    assert bundle._input_validator is bundle._input_validator
    assert load(support_bundle())._input_validator is not bundle._input_validator


# --- verification ------------------------------------------------------------------------


def test_tampered_spec_raises_integrity_error(tmp_path):
    document = support_bundle()
    original = document["hash"]
    document["spec"]["messages"][0]["content"][0]["text"] = "Hi "
    with pytest.raises(IntegrityError) as info:
        load(document)
    message = str(info.value)
    assert original in message and spec_hash(document["spec"]) in message
    assert "modified after it was built" in message and "rebuild" in message
    path = tmp_path / "b.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(IntegrityError):
        load(path)


def test_tampered_hash_raises_integrity_error():
    document = support_bundle()
    document["hash"] = "sha256:" + "0" * 64
    with pytest.raises(IntegrityError):
        load(document)


def test_metadata_is_not_hashed():
    document = support_bundle()
    document["meta"]["owner"] = "someone-else"
    document["tokens"]["messages"] = [1, 2]
    document["provenance"]["compiler"] = "promptc 9.9.9"
    assert load(document).hash == support_bundle()["hash"]


@pytest.mark.parametrize("source, fragment", [
    (b"not json", "invalid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "expected a JSON object, got array"),
    (b'{"name": "x"}', "no format key"),
    (b'{"format": "promptc.bundle/v2"}', "promptc.bundle/v2"),
    (b'{"format": "promptc.bundle/v1", "name": "x"}', "missing key(s) version, hash"),
    (b'{"a": 1, "a": 2}', "repeats the key(s) 'a'"),
    (b'{"a": NaN}', "NaN"),
    ({"format": FORMAT, "spec": [], "name": "x", "version": "1.0.0", "hash": "sha256:0",
      "meta": {}, "provenance": {}, "tokens": {}}, "spec must be an object"),
])
def test_non_bundles_raise_bundle_format_error(source, fragment):
    with pytest.raises(BundleFormatError) as info:
        load(source)
    assert fragment in str(info.value)


def test_bundle_with_unhashable_integer_is_a_format_error():
    document = make_bundle([{"role": "user", "content": [X(C(1))]}])
    document["spec"]["messages"][0]["content"][0]["expr"]["value"] = 2**60
    with pytest.raises(BundleFormatError, match="canonicalized"):
        load(document)


@pytest.mark.parametrize("node", [
    {"kind": "txt", "text": "x"},
    {"kind": "text", "text": "x", "extra": 1},
    {"kind": "text", "text": 5},
    X({"kind": "filter", "name": "shout", "arg": C("x"), "args": []}),
    X({"kind": "filter", "name": "upper", "arg": C("x"), "args": [C(1)]}),
    X({"kind": "filter", "name": "join", "arg": C([]), "args": []}),
    X({"kind": "compare", "op": "=~", "left": C(1), "right": C(1)}),
    X({"kind": "var", "path": []}),
    {"kind": "if", "branches": [], "else": []},
    {"kind": "for", "var": "x", "iter": C([]), "body": [{"kind": "nope"}]},
])
def test_structurally_invalid_ir_with_valid_hash_is_a_format_error(node):
    with pytest.raises(BundleFormatError, match="schema"):
        load(make_bundle([{"role": "user", "content": [node]}]))


def test_load_accepts_path_bytes_and_dict_and_copies_dicts(tmp_path):
    document = support_bundle()
    path = tmp_path / "support.answer.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    from_path, from_str = load(path), load(str(path))
    from_bytes = load(b"\xef\xbb\xbf" + json.dumps(document).encode())  # BOM tolerated
    from_dict = load(document)
    document["spec"]["messages"][0]["content"][0]["text"] = "changed "
    for bundle in (from_path, from_str, from_bytes, from_dict):
        assert bundle.render({"customer_name": "x"}).messages[0].content.startswith("Hello X.")
    assert from_path.origin == str(path)
    with pytest.raises(TypeError):
        load(42)


def test_bundle_attributes_and_raw_copy():
    document = support_bundle()
    bundle = load(document)
    assert (bundle.name, bundle.version, bundle.hash) == ("support.answer", "1.4.0", document["hash"])
    assert bundle.spec == document["spec"] and bundle.meta == document["meta"]
    assert bundle.provenance == document["provenance"] and bundle.tokens == document["tokens"]
    raw = bundle.raw
    assert raw == document
    raw["spec"]["messages"].clear()
    assert len(bundle.raw["spec"]["messages"]) == 2
    assert "support.answer" in repr(bundle)


def test_rendered_is_frozen_and_carries_tools_model_output_trace():
    bundle = load(support_bundle())
    rendered = bundle.render({"customer_name": "ada"})
    assert rendered.tools == bundle.spec["tools"] and rendered.model == {"name": "gpt-4o", "temperature": 0.2}
    assert rendered.output["type"] == "json"
    assert rendered.trace == {"name": "support.answer", "version": "1.4.0", "hash": bundle.hash}
    assert rendered.to_json() == {
        "name": "support.answer", "version": "1.4.0", "hash": bundle.hash,
        "messages": [{"role": "system", "content": "Hello Ada.\nFree user."},
                     {"role": "user", "content": ""}]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.messages = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.messages[0].content = "x"
    rendered.tools.clear()
    rendered.model["temperature"] = 1.0
    again = bundle.render({"customer_name": "ada"})
    assert len(again.tools) == 1 and again.model["temperature"] == 0.2


# --- unicode -----------------------------------------------------------------------------

UNICODE = "👩‍💻 漢字かな 한국어 e\u0301 n\u0303 \u202eRTL\u202c 🇫🇷 \U0001d54f"


def test_unicode_round_trips_through_file_bytes_and_render(tmp_path):
    props = {"who": {"type": "string"}}
    nodes = [T(UNICODE + " "), X(V("who")), T(" "), X(F("tojson", C({"k": UNICODE})))]
    document = make_bundle([{"role": "user", "content": nodes}], props)
    expected = f'{UNICODE} {UNICODE} {{"k": "{UNICODE}"}}'
    for text in (json.dumps(document, ensure_ascii=False), json.dumps(document, ensure_ascii=True)):
        path = tmp_path / "u.json"
        path.write_text(text, encoding="utf-8")
        content = load(path).render({"who": UNICODE}).messages[0].content
        assert content == expected
        assert "e\u0301" in content and "\u00e9" not in content  # no normalization


def test_unicode_string_length_counts_code_points():
    assert render_nodes([X(F("length", C("👩‍💻")))]) == "3"  # woman, ZWJ, laptop


# --- hashing -----------------------------------------------------------------------------


def test_canonical_json_is_rfc8785():
    assert canonical_json({"b": 1, "a": [1.0, "é", None, True]}) == '{"a":[1,"é",null,true],"b":1}'.encode()
    assert canonical_json({"\u00e9": 1, "z": 2, "\U0001f600": 3, "\uffff": 4}) == (
        '{"z":2,"é":1,"😀":3,"\uffff":4}'.encode())  # keys in UTF-16 code unit order


def test_spec_hash_format_and_value():
    spec = {"x": [1, "two"]}
    digest = hashlib.sha256(b'{"x":[1,"two"]}').hexdigest()
    assert spec_hash(spec) == "sha256:" + digest


def _reversed_keys(value):
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def test_hash_is_stable_under_key_order():
    document = support_bundle()
    reordered = _reversed_keys(document)
    assert list(reordered["spec"]) != list(document["spec"])
    assert spec_hash(reordered["spec"]) == document["hash"]
    assert load(reordered).hash == document["hash"]
    assert load(json.dumps(document, sort_keys=True, indent=4).encode()).hash == document["hash"]


JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text())
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


def _shuffled(value, rnd):
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {key: _shuffled(value[key], rnd) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rnd) for item in value]
    return value


@settings(max_examples=200, deadline=None)
@given(spec=st.dictionaries(st.text(), JSON_VALUES, max_size=6), rnd=st.randoms())
def test_spec_hash_is_independent_of_insertion_order(spec, rnd):
    shuffled = _shuffled(spec, rnd)
    assert shuffled == spec
    assert spec_hash(shuffled) == spec_hash(spec)
    assert canonical_json(shuffled) == canonical_json(spec)


# --- schema ------------------------------------------------------------------------------


def test_bundle_schema_is_valid_draft_2020_12():
    schema = bundle_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["format"] == {"const": FORMAT}
    assert schema["$defs"]["hash"]["pattern"] == "^sha256:[0-9a-f]{64}$"
    schema["title"] = "mutated"
    assert bundle_schema()["title"] != "mutated"


def _all_node_kinds_bundle():
    nodes = [T("t"), X(V("a", "b")), IF([(AND(C(1), OR(C(0), NOT(C(0)))), [T("y")])], [T("n")]),
             FOR("i", C([1]), [X(F("join", C([1]), C(",")))]),
             X(CMP("not-in", F("default", V("a"), C("")), C("xyz")))]
    return make_bundle([{"role": "system", "content": nodes},
                        {"role": "assistant", "content": []}], {"a": {}})


@pytest.mark.parametrize("document", [
    support_bundle(), _all_node_kinds_bundle(),
    make_bundle([{"role": "user", "content": [T("x")]}]),
    make_bundle([], output={"type": "json", "schema": {"type": "array"}}),
])
def test_hand_built_bundles_match_the_schema(document):
    Draft202012Validator(bundle_schema()).validate(document)
    load(document)


@pytest.mark.parametrize("path, value", [
    (["hash"], "sha256:ABC"), (["hash"], "md5:" + "0" * 64), (["version"], "1.0"),
    (["spec", "messages", 0, "role"], "tool"), (["spec", "output"], {"type": "xml"}),
    (["spec", "output"], {"type": "text", "schema": {}}), (["spec", "inputs", "additionalProperties"], True),
    (["spec", "tools", 0, "requires_approval"], "no"), (["provenance", "modules", "x"], "sha1:00"),
    (["tokens", "messages", 0], -1), (["extra"], 1),
])
def test_schema_rejects_malformed_bundles(path, value):
    document = support_bundle()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(Draft202012Validator(bundle_schema()).iter_errors(document))


def test_schema_keeps_meta_open():
    document = support_bundle()
    document["meta"]["anything"] = {"nested": [1]}
    Draft202012Validator(bundle_schema()).validate(document)


# --- directories -------------------------------------------------------------------------


def _write(directory: Path, filename: str, document) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_text(json.dumps(document), encoding="utf-8")


def _versioned(name, version, text="x"):
    return make_bundle([{"role": "user", "content": [T(text)]}], name=name, version=version)


def test_load_dir_keeps_highest_semver_and_skips_index(tmp_path):
    _write(tmp_path, "a-1.9.0.json", _versioned("a", "1.9.0", "old"))
    _write(tmp_path, "a-1.10.0.json", _versioned("a", "1.10.0", "new"))
    _write(tmp_path / "nested", "b.json", _versioned("b.c", "0.1.0"))
    (tmp_path / "index.json").write_text("not a bundle", encoding="utf-8")
    bundles = load_dir(tmp_path)
    assert sorted(bundles) == ["a", "b.c"]
    assert bundles["a"].version == "1.10.0"
    assert bundles["a"].render().messages[0].content == "new"
    assert all(isinstance(b, Bundle) for b in bundles.values())
    _write(tmp_path / "nested", "a-2.0.0-rc.1.json", _versioned("a", "2.0.0-rc.1", "rc"))
    assert load_dir(tmp_path)["a"].version == "2.0.0-rc.1"
    _write(tmp_path, "a-2.0.0.json", _versioned("a", "2.0.0", "final"))
    assert load_dir(tmp_path)["a"].version == "2.0.0"


def test_load_dir_rejects_tampered_files_and_version_conflicts(tmp_path):
    _write(tmp_path, "a1.json", _versioned("a", "1.0.0", "one"))
    _write(tmp_path, "a1-copy.json", _versioned("a", "1.0.0", "one"))
    assert load_dir(tmp_path)["a"].version == "1.0.0"
    _write(tmp_path, "a2.json", _versioned("a", "1.0.0", "two"))
    with pytest.raises(BundleFormatError, match="a changed prompt needs a new version"):
        load_dir(tmp_path)
    tampered = _versioned("z", "1.0.0")
    tampered["spec"]["messages"][0]["content"][0]["text"] = "y"
    _write(tmp_path / "other", "z.json", tampered)
    with pytest.raises(IntegrityError):
        load_dir(tmp_path / "other")
    with pytest.raises(NotADirectoryError):
        load_dir(tmp_path / "missing")


@pytest.mark.parametrize("lower, higher", [
    ("1.0.0", "1.0.1"), ("1.9.0", "1.10.0"), ("1.0.0-rc.1", "1.0.0"), ("1.0.0-alpha", "1.0.0-alpha.1"),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta"), ("1.0.0-beta.2", "1.0.0-beta.11"), ("1.0.0-rc.1", "1.0.0-rc.1a"),
])
def test_semver_precedence(lower, higher):
    assert semver_key(lower) < semver_key(higher)


def test_semver_ignores_build_metadata_and_rejects_garbage():
    assert semver_key("1.0.0+build.5") == semver_key("1.0.0")
    with pytest.raises(ValueError):
        semver_key("1.0")


# --- isolation ---------------------------------------------------------------------------


def test_runtime_does_not_import_the_compiler():
    src = str(Path(promptc.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    code = ("import sys, promptc.runtime; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'jinja2') "
            "or (m.startswith('promptc.') and not m.startswith('promptc.runtime'))); "
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
    assert "promptc.runtime" in subprocess.run(
        [sys.executable, "-c", "import sys, promptc.runtime; print(sorted(sys.modules))"],
        env=env, capture_output=True, text=True, check=True).stdout
