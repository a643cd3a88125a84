"""Hostile bundles and inputs: both runtimes refuse them quickly, with the documented error
class (`PromptcRuntimeError` subclasses) and a short message, and agree on which class.

The Python runtime runs in-process; the JavaScript runtime through its CLI (which must
never print a stack trace) and, for inputs no file can carry (cycles, 100 MiB strings),
in one node process."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from promptc.runtime import (BundleFormatError, InputError, PromptcRuntimeError, load, spec_hash)
from promptc.runtime import limits

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "runtimes" / "js" / "bin" / "promptc-render.mjs"
NODE = shutil.which("node")
JS_SKIP = None if NODE and (ROOT / "runtimes/js/node_modules/ajv").is_dir() else "node or runtimes/js/node_modules missing"
BASE = json.loads((ROOT / "tests/conformance/input-pattern.json").read_text())["bundle"]
BASE["spec"]["inputs"]["properties"]["code"] = {"type": "string", "maxLength": 20}
BASE["hash"] = spec_hash(BASE["spec"])


def _bundle(mutate=None, *, spec=None) -> dict:
    doc = copy.deepcopy(BASE)
    if spec is not None:
        spec(doc["spec"])
        doc["hash"] = spec_hash(doc["spec"])
    if mutate is not None:
        mutate(doc)
    return doc


def _deep_if(n: int):
    def apply(spec):
        body = [{"kind": "text", "text": "x"}]
        for _ in range(n):
            body = [{"kind": "if", "branches": [{"cond": {"kind": "const", "value": True}, "body": body}], "else": []}]
        spec["messages"][0]["content"] = body
    return apply


def _deep_if_text(n: int) -> str:
    """A bundle whose message nests `n` ifs (built as text: too deep for json.dumps; the
    hash is stale, and the depth is refused before the hash is checked)."""
    doc = _bundle()
    marker = "@@CONTENT@@"
    doc["spec"]["messages"][0]["content"] = marker
    node = '{"kind": "if", "branches": [{"cond": {"kind": "const", "value": true}, "body": ['
    content = "[" + node * n + '{"kind": "text", "text": "x"}' + ']}], "else": []}' * n + "]"
    return _text(doc).replace(json.dumps(marker), content)


def _set_input_schema(extra: dict):
    def apply(spec):
        spec["inputs"]["properties"]["code"] = {"type": "string", **extra}
    return apply


def _text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False)


BIG_DIGITS = "1" * 5000
# name → (bundle text, inputs JSON text, expected kind: "format" | "input" | None for a render)
CASES = {
    "integer-5000-digits-in-meta": (_text(_bundle()).replace('"meta": {', f'"meta": {{"n": {BIG_DIGITS}, ', 1), "{}", "format"),
    "nesting-1000": (_text(_bundle()).replace('"meta": {', '"meta": {"deep": ' + "[" * 1000 + "]" * 1000 + ", ", 1), "{}", "format"),
    "nesting-3800": (_text(_bundle()).replace('"meta": {', '"meta": {"deep": ' + "[" * 3800 + "]" * 3800 + ", ", 1), "{}", "format"),
    "string-8mib-in-bundle": (_text(_bundle(lambda d: d["meta"].update(blob="x" * (8 << 20)))), "{}", "format"),
    "remote-ref-in-inputs": (_text(_bundle(spec=_set_input_schema({"$ref": "https://example.invalid/s.json"}))), "{}", "format"),
    "self-ref-in-inputs": (_text(_bundle(spec=_set_input_schema({"$ref": "#"}))), "{}", "format"),
    "if-2000-deep": (_deep_if_text(2000), "{}", "format"),
    "if-33-deep": (_text(_bundle(spec=_deep_if(limits.MAX_IR_DEPTH + 1))), "{}", "format"),
    "if-32-deep-renders": (_text(_bundle(spec=_deep_if(limits.MAX_IR_DEPTH))), "{}", None),
    "two-boms": ("\ufeff\ufeff" + _text(_bundle()), "{}", "format"),
    "one-bom-renders": ("\ufeff" + _text(_bundle()), "{}", None),
    "string-8mib-in-inputs": (_text(_bundle()), json.dumps({"code": "x" * (8 << 20)}), "input"),
    "inputs-nesting-200": (_text(_bundle()), json.dumps({"code": json.loads("[" * 200 + "]" * 200)}), "input"),
}


def _python(bundle_text: str, inputs_text: str) -> tuple[str | None, str, float]:
    started = time.monotonic()
    try:
        bundle = load(bundle_text.encode("utf-8", "surrogatepass"))
        bundle.render(json.loads(inputs_text))
        kind, message = None, ""
    except BundleFormatError as exc:
        kind, message = "format", str(exc)
    except InputError as exc:
        kind, message = "input", str(exc)
    return kind, message, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_runtime_refuses_with_a_documented_class(name: str) -> None:
    bundle_text, inputs_text, expected = CASES[name]
    if name == "inputs-nesting-200":  # json.loads of the inputs is the caller's; render sees the value
        pass
    kind, message, seconds = _python(bundle_text, inputs_text)
    assert kind == expected, message[:500]
    assert len(message) < 2000, message[:500]
    assert seconds < 2.0


@pytest.mark.skipif(JS_SKIP is not None, reason=str(JS_SKIP))
@pytest.mark.parametrize("name", sorted(CASES))
def test_js_cli_refuses_with_the_same_class_and_no_stack_trace(name: str, tmp_path: Path) -> None:
    bundle_text, inputs_text, expected = CASES[name]
    (tmp_path / "b.json").write_bytes(bundle_text.encode("utf-8", "surrogatepass"))
    (tmp_path / "i.json").write_text(inputs_text, encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run([NODE, str(CLI), "--json-errors", str(tmp_path / "b.json"), str(tmp_path / "i.json")],
                          capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - started
    assert "    at " not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[:2000]
    if expected is None:
        assert proc.returncode == 0, proc.stdout[:500] + proc.stderr[:500]
    elif name == "inputs-nesting-200":  # the CLI's JSON reader refuses it before render
        assert proc.returncode == 1 and "nests deeper than 160 levels" in proc.stderr, proc.stderr[:500]
    else:
        assert proc.returncode == 1, proc.stderr[:500]
        assert json.loads(proc.stdout)["error"] == expected, proc.stdout[:500]
        assert len(proc.stdout) < 4000
    assert seconds < 5.0


def test_python_render_refuses_huge_cyclic_and_deep_inputs_fast() -> None:
    bundle = load(_text(_bundle()).encode())
    cyclic: dict = {}
    cyclic["self"] = cyclic
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    for inputs, where in [({"code": "x" * (100 << 20)}, "code: is longer than the limit of 4,194,304 characters"),
                          ({"code": cyclic}, "<inputs>: nests deeper than 160 levels, or contains itself"),
                          ({"code": deep}, "<inputs>: nests deeper than 160 levels")]:
        started = time.monotonic()
        with pytest.raises(InputError) as caught:
            bundle.render(inputs)
        assert time.monotonic() - started < 1.0
        assert where in str(caught.value) and len(str(caught.value)) < 500


def test_python_error_messages_quote_only_a_prefix() -> None:
    bundle = load(_text(_bundle()).encode())
    with pytest.raises(InputError) as caught:
        bundle.render({"word": "é" * 100_000})  # fails the pattern: the message quotes a prefix
    assert len(str(caught.value)) < 400 and "…" in str(caught.value)


def test_python_load_refuses_a_cyclic_or_deep_dict() -> None:
    doc = _bundle()
    doc["meta"]["self"] = doc
    with pytest.raises(BundleFormatError, match="contains itself"):
        load(doc)
    with pytest.raises(PromptcRuntimeError):
        load(json.loads(_deep_if_text(150)))


NODE_IN_PROCESS = """
import { load, InputError, PromptcRuntimeError } from %s;
const bundle = load(new TextEncoder().encode(process.argv[1]));
const cyclic = {}; cyclic.self = cyclic;
let deep = []; for (let i = 0; i < 100000; i++) deep = [deep];
const out = [];
for (const inputs of [{ code: "x".repeat(100 * 1024 * 1024) }, { code: cyclic }, { code: deep }, { word: "é".repeat(100000) }]) {
  const t = Date.now();
  try { bundle.render(inputs); out.push(["rendered", "", 0]); }
  catch (err) { out.push([err instanceof InputError ? "input" : err.constructor.name, err.message, Date.now() - t]); }
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.skipif(JS_SKIP is not None, reason=str(JS_SKIP))
def test_js_render_refuses_huge_cyclic_and_deep_inputs_fast() -> None:
    module = json.dumps((ROOT / "runtimes/js/src/index.mjs").as_uri())
    proc = subprocess.run([NODE, "--input-type=module", "-e", NODE_IN_PROCESS % module, _text(_bundle())],
                          capture_output=True, text=True, timeout=120, check=True)
    results = json.loads(proc.stdout)
    for (kind, message, ms), expected in zip(results, ["code: is longer than the limit of 4,194,304 characters",
                                                       "<inputs>: nests deeper than 160 levels, or contains itself",
                                                       "<inputs>: nests deeper than 160 levels", "…"]):
        assert kind == "input", message[:300]
        assert expected in message and len(message) < 500, message[:300]
        assert ms < 1000


@pytest.mark.skipif(JS_SKIP is not None, reason=str(JS_SKIP))
def test_both_runtimes_have_one_table_of_limits() -> None:
    from promptc.runtime import pattern

    module = json.dumps((ROOT / "runtimes/js/src/limits.mjs").as_uri())
    patterns = json.dumps((ROOT / "runtimes/js/src/pattern.mjs").as_uri())
    script = (f"const l = await import({module}); const p = await import({patterns});"
              "process.stdout.write(JSON.stringify({...Object.fromEntries(Object.entries(l).filter(([k]) => "
              "/^MAX_/.test(k))), MAX_PATTERN_LENGTH: p.MAX_PATTERN_LENGTH, MAX_PATTERN_STATES: p.MAX_PATTERN_STATES}))")
    js = json.loads(subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True,
                                   check=True).stdout)
    python = {k: v for k, v in vars(limits).items() if k.startswith("MAX_")}
    python.update(MAX_PATTERN_LENGTH=pattern.MAX_PATTERN_LENGTH, MAX_PATTERN_STATES=pattern.MAX_PATTERN_STATES)
    assert js == python
