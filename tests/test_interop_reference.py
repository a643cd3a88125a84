"""Round trips through the other formats' reference implementations, as real components:
the npm `dotprompt` package (tests/interop/package.json, locked) renders Dotprompt files and
the PyPI `prompty` package (the `test` extra) renders Prompty files.

- Every Dotprompt spec case and every Prompty vector or corpus case that promptc passes
  (tests/test_interop_suites.py) is imported, built, exported back to its format, and the
  exported file, rendered by the reference implementation, gives the messages promptc
  renders, which are the messages the reference renders from the original file.
- Prompty's sample files that import render in promptc as `prompty` renders them, and so do
  their exports.
- The example project's prompts: sales.outreach, exported to Prompty, renders in `prompty`
  to the messages promptc renders for its sample inputs; support.answer's export is refused
  with the reason (its system message ends in an `{% if %}` whose text ends with a line
  break, which Prompty's parser would drop), as is the Dotprompt export of both (filters).

Skips, with the reason, when ../shared/suites/, node, the npm package or the PyPI package
is missing (.ci/run installs both packages).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from . import interop_suites as suites
from .helpers import EXAMPLE
from .test_interop_suites import _as_dotprompt, dotprompt_cases, dotprompt_mismatch, prompty_cases, prompty_mismatch

REFERENCE_DIR = suites.ROOT / "tests" / "interop"
DOTPROMPT_JS = REFERENCE_DIR / "node_modules" / "dotprompt"


def _dotprompt_skip() -> str | None:
    if suites.NODE is None:
        return "node is not installed: the Dotprompt reference implementation is the npm package `dotprompt`"
    if not DOTPROMPT_JS.is_dir():
        return "tests/interop/node_modules is not installed: run `cd tests/interop && npm ci`"
    return None


def _prompty_skip() -> str | None:
    if importlib.util.find_spec("prompty") is None:
        return "the PyPI package `prompty` is not installed: pip install -e '.[test]'"
    return None


def _dotprompt_render(jobs: list[dict]) -> list[dict]:
    proc = subprocess.run([suites.NODE or "node", str(REFERENCE_DIR / "dotprompt_render.mjs")], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=300, check=False, cwd=REFERENCE_DIR)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _prompty_render(path: Path, inputs: dict) -> list[dict]:
    import prompty

    agent = prompty.load(str(path))
    out = []
    for message in prompty.prepare(agent, inputs):
        text = "".join(getattr(part, "value", "") for part in message.parts)
        out.append({"role": message.role, "content": text})
    return out


def _passing(suite: str, skip: str | None, cases, mismatch, root: Path) -> list:
    """The cases of a suite that promptc passes and that have messages, built under `root`."""
    reason = suites.suites_skip_reason(suite) or skip
    if reason:
        pytest.skip(reason)
    suites.build_cases(cases, root)
    return [c for c in cases if c.bundle_path is not None and mismatch(c, suites.render_python(c)) is None]


@pytest.fixture(scope="module")
def dotprompt_round_trip(tmp_path_factory):
    from promptc.export import ExportError
    from promptc.interop.to_dotprompt import dotprompt_file

    passing = _passing("dotprompt", _dotprompt_skip(), dotprompt_cases(), dotprompt_mismatch,
                       tmp_path_factory.mktemp("dotprompt-round-trip"))
    exported, refused = {}, {}
    for case in passing:
        try:
            exported[case.id] = dotprompt_file(case.bundle)[0]
        except ExportError as exc:
            refused[case.id] = str(exc)
    ids = list(exported)
    rendered = _dotprompt_render([{"source": exported[i], "input": next(c for c in passing if c.id == i).inputs}
                                  for i in ids])
    return passing, exported, refused, dict(zip(ids, rendered))


def test_dotprompt_exports_render_the_same_in_the_reference(dotprompt_round_trip):
    passing, exported, refused, rendered = dotprompt_round_trip
    assert len(passing) >= 70  # the cases with messages (the others test metadata only)
    # Every imported case exports back: the importer only writes what Dotprompt can say.
    assert not refused, refused
    for case in passing:
        ours = _as_dotprompt(suites.render_python(case)["messages"])
        theirs = rendered[case.id]
        assert theirs == {"messages": ours}, (case.id, exported[case.id], theirs, ours)
        assert ours == case.expect.get("messages", [])  # = what the reference renders from the original


@pytest.fixture(scope="module")
def prompty_round_trip(tmp_path_factory):
    root = tmp_path_factory.mktemp("prompty-round-trip")
    passing = _passing("prompty", _prompty_skip(), prompty_cases(), prompty_mismatch, root)
    return [c for c in passing if not c.expect.get("build_only")], root


def test_prompty_exports_render_the_same_in_the_reference(prompty_round_trip):
    from promptc.interop.to_prompty import prompty_file

    passing, root = prompty_round_trip
    assert len(passing) >= 60
    failures = []
    for case in passing:
        text, _notes = prompty_file(case.bundle)
        path = root / "exported" / f"{case.module}.prompty"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        ours = suites.render_python(case)["messages"]
        theirs = _prompty_render(path, case.inputs)
        if theirs != ours:
            failures.append((case.id, text, theirs, ours))
    assert not failures, failures[:3]


def _example_rows(bundle: dict) -> list[dict]:
    """The inputs the example ships for a prompt: its eval dataset's rows and inputs/NAME.json."""
    rows = []
    if (bundle.get("meta") or {}).get("eval"):
        dataset = EXAMPLE / bundle["meta"]["eval"]
        rows += [json.loads(line)["vars"] for line in dataset.read_text("utf-8").splitlines() if line.strip()]
    sample = EXAMPLE / "inputs" / f"{bundle['name'].split('.')[-1]}.json"
    if sample.is_file():
        rows.append(json.loads(sample.read_text("utf-8")))
    return rows


def test_example_prompts_round_trip_through_prompty(tmp_path: Path):
    reason = _prompty_skip()
    if reason:
        pytest.skip(reason)
    from promptc import driver
    from promptc.interop.to_prompty import prompty_file
    from promptc.runtime import load

    from promptc.export import ExportError

    compiled = driver.compile_project(driver.open_project(EXAMPLE), use_cache=False)
    assert compiled.ok
    checked = 0
    for name, bundle in compiled.bundles.items():
        if name == "support.answer":
            # Its system message ends in an `{% if %}` whose text ends with a line break; Prompty's
            # parser removes a message's final line breaks, so the export refuses rather than
            # write a file that renders something else.
            with pytest.raises(ExportError, match="can end with a line break"):
                prompty_file(bundle)
            continue
        path = tmp_path / f"{name}.prompty"
        path.write_text(prompty_file(bundle)[0], "utf-8")
        for row in _example_rows(bundle):
            ours = [{"role": m.role, "content": m.content} for m in load(dict(bundle)).render(row).messages]
            assert _prompty_render(path, row) == ours, (name, row)
            checked += 1
    assert checked >= 1


def test_example_prompts_say_why_they_have_no_dotprompt_form():
    """The example's prompts use filters and `or`, which Handlebars in Dotprompt cannot say:
    the export refuses and names the construct instead of writing something else."""
    from promptc import driver
    from promptc.export import ExportError
    from promptc.interop.to_dotprompt import dotprompt_file

    compiled = driver.compile_project(driver.open_project(EXAMPLE), use_cache=False)
    for name, bundle in compiled.bundles.items():
        with pytest.raises(ExportError, match=r"has no Dotprompt form"):
            dotprompt_file(bundle)


@pytest.mark.parametrize("inputs", [{"text": "Some text.", "question": "Why?"},
                                    {"text": "Some text.", "question": "Why?", "context": "From a memo."}])
def test_prompty_fixtures_import_and_export_as_the_reference_renders(tmp_path: Path, monkeypatch, inputs):
    """Prompty's own sample files that import: promptc renders what `prompty` renders from the
    original file, and `prompty` renders the exported file the same way."""
    reason = suites.suites_skip_reason("prompty") or _prompty_skip()
    if reason:
        pytest.skip(reason)
    from promptc.interop.to_prompty import prompty_file

    monkeypatch.setenv("OPENAI_API_KEY", "not-used")  # basic.prompty's connection reads it at load
    fixtures = suites.SUITES / "prompty" / "spec" / "fixtures"
    cases = [c for c in prompty_cases() if c.id.startswith("fixtures::")]
    suites.build_cases(cases, tmp_path)
    built = [c for c in cases if c.bundle is not None]
    assert {c.id for c in built} == {"fixtures::basic.prompty", "fixtures::minimal.prompty",
                                     "fixtures::structured.prompty", "fixtures::summarize.prompty"}
    for case in built:
        declared = case.bundle["spec"]["inputs"].get("properties") or {}
        case.inputs = {k: v for k, v in inputs.items() if k in declared}
        ours = suites.render_python(case)["messages"]
        assert _prompty_render(fixtures / case.id.removeprefix("fixtures::"), case.inputs) == ours, case.id
        exported = tmp_path / f"{case.module}.prompty"
        exported.write_text(prompty_file(case.bundle)[0], "utf-8")
        assert _prompty_render(exported, case.inputs) == ours, case.id
