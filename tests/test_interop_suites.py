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
from pathlib import Path

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


@pytest.fixture(scope="module")
def dotprompt_run(tmp_path_factory):
    reason = suites.suites_skip_reason("dotprompt")
    if reason:
        pytest.skip(reason)
    cases = dotprompt_cases()
    suites.build_cases(cases, tmp_path_factory.mktemp("dotprompt-suite"))
    js = suites.render_js(cases) if suites.js_skip_reason() is None else None
    return {c.id: c for c in cases}, js


def _ids(cases: list[Case]) -> list:
    out = []
    for case in cases:
        reason = EXEMPT.get("dotprompt", {}).get(case.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case.id, id=case.id, marks=marks))
    return out


DOTPROMPT_CASES = dotprompt_cases()


def test_the_dotprompt_suite_is_complete():
    if not DOTPROMPT.is_dir():
        pytest.skip(suites.suites_skip_reason("dotprompt") or "")
    assert len(DOTPROMPT_CASES) == 117
    known = {c.id for c in DOTPROMPT_CASES}
    stale = sorted(set(EXEMPT.get("dotprompt", {})) - known)
    assert not stale, f"exemptions for cases that do not exist: {stale}"


@pytest.mark.parametrize("case_id", _ids(DOTPROMPT_CASES))
def test_dotprompt_case_python(case_id: str, dotprompt_run):
    cases, _js = dotprompt_run
    case = cases[case_id]
    rendered = suites.render_python(case) if case.bundle_path else None
    assert dotprompt_mismatch(case, rendered) is None, dotprompt_mismatch(case, rendered)


@pytest.mark.parametrize("case_id", _ids(DOTPROMPT_CASES))
def test_dotprompt_case_js(case_id: str, dotprompt_run):
    cases, js = dotprompt_run
    if js is None:
        pytest.skip(suites.js_skip_reason() or "")
    case = cases[case_id]
    rendered = js.get(case_id) if case.bundle_path else None
    assert dotprompt_mismatch(case, rendered) is None, dotprompt_mismatch(case, rendered)
