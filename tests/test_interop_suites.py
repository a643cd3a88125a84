"""Dotprompt's and Prompty's own conformance suites, run through `promptc import`, a build
and both promptc runtimes (see tests/interop_suites.py).

Every case either passes or is listed in tests/interop/exemptions.toml with the reason it
cannot pass; an exempted case is expected to fail (strict xfail), so an exemption that
stops being needed fails the suite until it is removed. Nothing is skipped silently: the
whole module skips, with the reason, only when ../shared/suites/ is absent.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from . import interop_suites as suites
from .interop_suites import Case

DOTPROMPT = suites.SUITES / "dotprompt" / "spec"
EXEMPT = suites.exemptions() if suites.EXEMPTIONS_FILE.is_file() else {}


def _ident(text: str) -> str:
    return re.sub(r"\W", "_", text)


def dotprompt_cases() -> list[Case]:
    from promptc.interop import dotprompt

    cases = []
    if not DOTPROMPT.is_dir():
        return cases
    for path in sorted(DOTPROMPT.rglob("*.yaml")):
        rel = path.relative_to(DOTPROMPT).as_posix()
        for suite in yaml.safe_load(path.read_text("utf-8")):
            partials = {**suite.get("partials", {}), **suite.get("resolverPartials", {})}
            suite_input = (suite.get("data") or {}).get("input") or {}
            samples = [{**suite_input, **((t.get("data") or {}).get("input") or {})} for t in suite["tests"]]
            for index, test in enumerate(suite["tests"]):
                defaults = ((test.get("options") or {}).get("input") or {}).get("default") or {}
                module = f"dotprompt.{_ident(rel.removesuffix('.yaml'))}.{_ident(suite['name'])}_{index}"

                def convert(template=suite.get("template", ""), partials=partials, samples=samples,
                            defaults=defaults, schemas=suite.get("schemas") or {}, module=module):
                    return dotprompt.convert(template, module_name=module, partials=partials, samples=samples,
                                             defaults=defaults, schemas=schemas, origin="spec")

                cases.append(Case(f"{rel}::{suite['name']}::{test['desc']}", module, samples[index],
                                  test["expect"], convert))
    return cases


def _as_dotprompt(messages: list[dict]) -> list[dict]:
    return [{"role": "model" if m["role"] == "assistant" else m["role"], "content": [{"text": m["content"]}]}
            for m in messages]


def dotprompt_mismatch(case: Case, rendered: dict | None) -> str | None:
    """Why the case's outcome differs from its expectation (None when it matches)."""
    from promptc.interop.dotprompt import CONFIG_KEYS

    if case.failure:
        return case.failure
    expect = case.expect
    spec = case.bundle["spec"] if case.bundle else None
    if rendered is not None:
        if "error" in rendered:
            return f"render: {rendered['error']}: {rendered['message']}"
        got = _as_dotprompt(rendered["messages"])
        if got != expect.get("messages", []):
            return f"messages differ: {json.dumps(got, ensure_ascii=False)}"
    elif expect.get("messages"):
        return "no messages were imported"
    if "schema" in (expect.get("output") or {}):
        schema = spec["output"].get("schema") if spec else json.loads(next(iter(case.files.values()), "null"))
        if schema != expect["output"]["schema"]:
            return f"output schema differs: {json.dumps(schema)}"
    model = spec["model"] if spec else None
    if "model" in expect and model is not None and model.get("name") != expect["model"]:
        return f"model differs: {model}"
    for key, value in (expect.get("config") or {}).items():
        if model is not None and model.get(CONFIG_KEYS.get(key, key)) != value:
            return f"config.{key} differs: {model}"
    return None


def _run(suite: str, cases: list[Case], tmp_path_factory) -> tuple[dict[str, Case], dict | None]:
    """Import and build every case of a suite set in one project, and render them all with the
    JavaScript runtime in one node process (None when it cannot run)."""
    reason = suites.suites_skip_reason(suite)
    if reason:
        pytest.skip(reason)
    suites.build_cases(cases, tmp_path_factory.mktemp(f"{suite}-suite"))
    js = suites.render_js(cases) if suites.js_skip_reason() is None else None
    return {c.id: c for c in cases}, js


def _ids(suite: str, cases: list[Case]) -> list:
    """One parameter per case; an exempted case is expected to fail (strict xfail, its reason)."""
    out = []
    for case in cases:
        reason = EXEMPT.get(suite, {}).get(case.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case.id, id=case.id, marks=marks))
    return out


@pytest.fixture(scope="module")
def dotprompt_run(tmp_path_factory):
    return _run("dotprompt", dotprompt_cases(), tmp_path_factory)


DOTPROMPT_CASES = dotprompt_cases()


def test_the_dotprompt_suite_is_complete():
    if not DOTPROMPT.is_dir():
        pytest.skip(suites.suites_skip_reason("dotprompt") or "")
    assert len(DOTPROMPT_CASES) == 117
    known = {c.id for c in DOTPROMPT_CASES}
    stale = sorted(set(EXEMPT.get("dotprompt", {})) - known)
    assert not stale, f"exemptions for cases that do not exist: {stale}"


@pytest.mark.parametrize("case_id", _ids("dotprompt", DOTPROMPT_CASES))
def test_dotprompt_case_python(case_id: str, dotprompt_run):
    cases, _js = dotprompt_run
    case = cases[case_id]
    rendered = suites.render_python(case) if case.bundle_path else None
    assert dotprompt_mismatch(case, rendered) is None, dotprompt_mismatch(case, rendered)


@pytest.mark.parametrize("case_id", _ids("dotprompt", DOTPROMPT_CASES))
def test_dotprompt_case_js(case_id: str, dotprompt_run):
    cases, js = dotprompt_run
    if js is None:
        pytest.skip(suites.js_skip_reason() or "")
    case = cases[case_id]
    rendered = js.get(case_id) if case.bundle_path else None
    assert dotprompt_mismatch(case, rendered) is None, dotprompt_mismatch(case, rendered)


# --- Prompty ------------------------------------------------------------------------------

PROMPTY = suites.SUITES / "prompty"
_ROLE_LINE = re.compile(r"^\s*#?\s*(system|user|assistant|developer)(\[[^\]]*\])?\s*:\s*$", re.I)


def prompty_parse(rendered: str) -> list[dict]:
    """Prompty's parse step (spec §6.4, as its reference parser runs it): split the rendered
    text at role-marker lines, drop each message's leading and trailing empty lines; text
    before any marker is a system message; a marker with no line after it gives none.
    Held to Prompty's own parse vectors by test_prompty_parse_oracle."""
    messages, role, lines = [], "system", []
    for line in rendered.splitlines():
        m = _ROLE_LINE.match(line.strip())
        if m:
            if lines:
                messages.append({"role": role, "content": "\n".join(lines).strip("\n")})
            role, lines = m.group(1).lower(), []
        else:
            lines.append(line)
    if lines:
        messages.append({"role": role, "content": "\n".join(lines).strip("\n")})
    return messages


def _prompty_vectors(stage: str) -> list[dict]:
    path = PROMPTY / "vectors.json"
    if not path.is_file():
        return []
    return [v["vector"] for v in json.loads(path.read_text("utf-8"))["vectors"] if v["vector"].get("stage") == stage]


def test_prompty_parse_oracle():
    """The parse step used as the oracle agrees with every plain parse vector of Prompty's."""
    if suites.suites_skip_reason("prompty"):
        pytest.skip(suites.suites_skip_reason("prompty") or "")
    checked = 0
    for vector in _prompty_vectors("parse"):
        expected = vector["expected"]["messages"]
        if "thread_inputs" in vector["input"] or any("metadata" in m for m in expected):
            continue  # thread expansion and marker attributes: not part of the oracle
        got = prompty_parse(vector["input"]["rendered"])
        assert got == [{"role": m["role"], "content": m["content"][0]["value"]} for m in expected], vector["name"]
        checked += 1
    assert checked >= 15


def prompty_cases() -> list[Case]:
    from promptc.interop import prompty

    cases: list[Case] = []
    if not PROMPTY.is_dir():
        return cases

    def add(case_id: str, source: str, inputs: dict, expect: dict) -> None:
        module = f"prompty.{_ident(case_id.replace('::', '.')).lower()}"
        cases.append(Case(case_id, module, inputs, expect,
                          lambda: prompty.convert(source, module_name=module, samples=[inputs], origin="suite")))

    for vector in _prompty_vectors("render"):
        source = vector["input"]["template"]
        if vector["input"].get("engine", "jinja2") != "jinja2":
            source = f"---\ntemplate: {vector['input']['engine']}\n---\n{source}"
        expected = vector["expected"].get("rendered")
        add(f"vectors::render::{vector['name']}", source, vector["input"].get("inputs") or {},
            {"messages": prompty_parse(expected) if expected is not None else None, "raw": vector["expected"]})
    for vector in _prompty_vectors("parse"):
        add(f"vectors::parse::{vector['name']}", vector["input"]["rendered"], {},
            {"messages": [{"role": m["role"], "content": m["content"][0]["value"], **(
                {"metadata": m["metadata"]} if m.get("metadata") else {})} for m in vector["expected"]["messages"]]})
    corpus = json.loads((PROMPTY / "jinja-conformance" / "corpus.json").read_text("utf-8"))["cases"]
    golden = {g["name"]: g for g in json.loads((PROMPTY / "jinja-conformance" / "render_golden.json").read_text("utf-8"))}
    for case in corpus:
        rendered = golden[case["name"]].get("rendered")
        expect = {"messages": None if case.get("expect_throw") else prompty_parse(rendered)}
        add(f"jinja-conformance::{case['name']}", case["template"], case.get("inputs") or {}, expect)
    for fixture in sorted((PROMPTY / "spec" / "fixtures").glob("*.prompty")):
        text = fixture.read_text("utf-8").replace("\r\n", "\n")
        module = f"prompty.fixtures.{_ident(fixture.stem)}"
        cases.append(Case(f"fixtures::{fixture.name}", module, {}, {"build_only": True},
                          lambda text=text, module=module, name=fixture.name: prompty.convert(
                              text, module_name=module, origin=name)))
    return cases


def prompty_mismatch(case: Case, rendered: dict | None) -> str | None:
    if case.failure:
        return case.failure
    if case.expect.get("build_only"):
        return None
    if case.expect["messages"] is None:
        return "the suite expects an error; promptc renders the value as text"
    if rendered is None:
        return "no messages were imported" if case.expect["messages"] else None
    if "error" in rendered:
        return f"render: {rendered['error']}: {rendered['message']}"
    if rendered["messages"] != case.expect["messages"]:
        return f"messages differ: {json.dumps(rendered['messages'], ensure_ascii=False)}"
    return None


PROMPTY_CASES = prompty_cases()


@pytest.fixture(scope="module")
def prompty_run(tmp_path_factory):
    return _run("prompty", prompty_cases(), tmp_path_factory)


def test_the_prompty_suites_are_complete():
    if suites.suites_skip_reason("prompty"):
        pytest.skip(suites.suites_skip_reason("prompty") or "")
    counts = {kind: sum(c.id.startswith(kind) for c in PROMPTY_CASES)
              for kind in ("vectors::render", "vectors::parse", "jinja-conformance", "fixtures")}
    assert counts == {"vectors::render": 23, "vectors::parse": 19, "jinja-conformance": 47, "fixtures": 12}
    stale = sorted(set(EXEMPT.get("prompty", {})) - {c.id for c in PROMPTY_CASES})
    assert not stale, f"exemptions for cases that do not exist: {stale}"


@pytest.mark.parametrize("case_id", _ids("prompty", PROMPTY_CASES))
def test_prompty_case_python(case_id: str, prompty_run):
    cases, _js = prompty_run
    case = cases[case_id]
    rendered = suites.render_python(case) if case.bundle_path else None
    assert prompty_mismatch(case, rendered) is None, prompty_mismatch(case, rendered)


@pytest.mark.parametrize("case_id", _ids("prompty", PROMPTY_CASES))
def test_prompty_case_js(case_id: str, prompty_run):
    cases, js = prompty_run
    if js is None:
        pytest.skip(suites.js_skip_reason() or "")
    case = cases[case_id]
    rendered = js.get(case_id) if case.bundle_path else None
    assert prompty_mismatch(case, rendered) is None, prompty_mismatch(case, rendered)
