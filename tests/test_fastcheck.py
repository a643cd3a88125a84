"""The compiled input check agrees with jsonschema (the runtime's `Validator`, an independent
oracle) on every schema promptc writes and on random values, and renders stay identical."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from promptc.runtime.fastcheck import compile_check
from promptc.runtime.schema import Validator

_leaf = st.sampled_from([
    {"type": "string"}, {"type": "string", "maxLength": 3}, {"type": "string", "minLength": 2},
    {"type": "string", "pattern": "^a+$"}, {"type": "string", "pattern": "\\d"},
    {"type": "string", "enum": ["a", "b", "ab"]}, {"type": "integer"}, {"type": "number"},
    {"type": "integer", "minimum": 0, "maximum": 3}, {"type": "number", "minimum": -1.5},
    {"type": "boolean"}, {"type": "null"}, {"type": ["string", "null"]}, {}, {"x-max-tokens": 3, "type": "string"},
])


def _compose(inner):
    return st.one_of(
        st.builds(lambda i, lo, hi: {"type": "array", "items": i, **({"minItems": lo} if lo else {}),
                                     **({"maxItems": hi} if hi is not None else {})},
                  inner, st.integers(0, 2), st.one_of(st.none(), st.integers(0, 3))),
        st.builds(lambda i, n: {"type": "object", "additionalProperties": i, **({"maxProperties": n} if n else {})},
                  inner, st.integers(0, 3)),
        st.builds(lambda i: {"anyOf": [i, {"type": "null"}]}, inner),
        st.builds(lambda props, req, extra: {
            "type": "object", "properties": props, "required": sorted(set(req) & set(props)),
            "additionalProperties": extra},
            st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
            st.lists(st.sampled_from(["a", "b", "c"]), max_size=3), st.sampled_from([False, True, {"type": "string"}])),
    )


schemas = st.recursive(_leaf, _compose, max_leaves=6)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(-3, 5, allow_nan=False),
              st.just(2.0), st.sampled_from(["", "a", "ab", "aaa", "b", "x1", "abcd", "é"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4)),
    max_leaves=8)


def _oracle(schema, value) -> bool:
    return not any(Validator(schema).iter_errors(value))


@settings(max_examples=300, deadline=None)
@given(schemas, values)
def test_the_compiled_check_agrees_with_jsonschema(schema, value) -> None:
    check = compile_check(schema)
    assert check is not None, schema
    assert check(value) == _oracle(schema, value), (schema, value)


def test_unknown_keywords_leave_the_check_to_jsonschema() -> None:
    for schema in ({"$ref": "#/$defs/x"}, {"type": "string", "format": "email"}, {"oneOf": [{}]},
                   {"type": "object", "patternProperties": {"a": {}}, "additionalProperties": False},
                   {"enum": [1, True]}, {"type": "decimal"}, {"type": "string", "pattern": "("}):
        assert compile_check(schema) is None, schema


def test_a_schema_too_deep_for_one_function_is_left_to_jsonschema() -> None:
    schema: dict = {"type": "string"}
    for _ in range(30):  # Python allows 20 nested loops in one function
        schema = {"type": "array", "items": schema}
    check = compile_check(schema)
    value: list = ["a"]
    for _ in range(29):
        value = [value]
    assert check is None or check(value) == _oracle(schema, value)


def test_renders_are_the_same_with_and_without_the_compiled_check(tmp_path) -> None:
    import json
    import shutil
    from pathlib import Path

    import pytest

    from promptc import driver
    from promptc.runtime import InputError, load

    root = Path(__file__).resolve().parents[1] / "examples" / "support-desk"
    project = tmp_path / "p"
    shutil.copytree(root, project, ignore=shutil.ignore_patterns("dist", ".promptc"))
    compiled = driver.compile_project(driver.open_project(project), parallel=False)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    fast, slow = load(compiled.bundles["support.answer"]), load(compiled.bundles["support.answer"])
    slow.__dict__["_input_check"] = None  # jsonschema on every render, as before
    assert fast._input_check is not None
    for case in (inputs, {**inputs, "nope": 1}, {}, {**inputs, "tier": "gold"},
                 {**inputs, "history": [{"role": "customer"}]}):
        outcomes = []
        for bundle in (fast, slow):
            try:
                outcomes.append(bundle.render(copy.deepcopy(case)))
            except InputError as exc:
                outcomes.append(("error", str(exc)))
        assert outcomes[0] == outcomes[1]
        assert isinstance(outcomes[0], tuple) == (case is not inputs)
