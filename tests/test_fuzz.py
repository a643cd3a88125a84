"""Fuzz targets: hostile modules through the compiler, hostile bundles and inputs through
both runtimes' `load` and `render`.

The compiler must answer every module with diagnostics (never an exception, an internal
error or a hang past 2 s); each runtime must raise nothing but `PromptcRuntimeError` and its
subclasses, within 2 s per case. The JavaScript runtime gets each batch in one node process.
CI runs a few dozen examples; `python scripts/fuzz.py --minutes N` runs them for minutes
(PROMPTC_FUZZ_EXAMPLES sets the count here).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptc import driver
from promptc.runtime import PromptcRuntimeError, load, spec_hash

from .helpers import write_project

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
HAVE_JS = NODE is not None and (ROOT / "runtimes/js/node_modules/ajv").is_dir()
EXAMPLES = int(os.environ.get("PROMPTC_FUZZ_EXAMPLES", "25"))
#: What a run counted, for scripts/fuzz.py to report.
TALLY = {"modules": 0, "bundles_python": 0, "bundles_js": 0}

# --- modules -----------------------------------------------------------------------------

_NUMBERS = st.sampled_from(["0", "-1", "20", "1.5", "9007199254740991", "9007199254740992", "-9007199254740993",
                            "1e400", "1e-400", "1" * 4400, "0.1", "1_000"])
_NAMES = st.sampled_from(["n", "b", "s", "xs", "loop", "tools", "f", "x_1"])


@st.composite
def _type(draw, depth=0):
    kind = draw(st.sampled_from(["str", "int", "float", "bool", "list", "map", "obj", "lit", "deep"]))
    if kind == "deep":
        n = draw(st.integers(20, 60))
        return "list[" * n + "str" + "]" * n
    if kind in ("list", "map") and depth < 4:
        return f"{kind}[{draw(_type(depth + 1))}]" + draw(st.sampled_from(["", f"(max_items={draw(_NUMBERS)})"]))
    if kind == "obj" and depth < 4:
        return "{a: " + draw(_type(depth + 1)) + ", b: str?}"
    if kind == "lit":
        return '"x" | "y"'
    if kind == "str":
        return "str" + draw(st.sampled_from(["", f"(max_len={draw(_NUMBERS)})", '(pattern="^(a+)+$")',
                                             '(pattern="(?=x)")', '(pattern="[")']))
    if kind == "int":
        return "int" + draw(st.sampled_from(["", f"(min={draw(_NUMBERS)}, max={draw(_NUMBERS)})"]))
    return kind if kind in ("float", "bool") else "str"


@st.composite
def _expr(draw, depth=0):
    r = draw(st.integers(0, 9))
    if depth > 3 or r < 3:
        return draw(st.one_of(_NAMES, _NUMBERS, st.just('"q"'), st.just("none"), st.just("[1, 2]")))
    if r == 3:
        n = draw(st.integers(1, 80))
        return "(" * n + draw(_expr(depth + 1)) + ")" * n
    if r == 4:
        return "not " * draw(st.integers(1, 120)) + draw(_expr(depth + 1))
    if r == 5:
        op = draw(st.sampled_from([" and ", " or ", " == ", " < ", " in ", " ~ "]))
        return op.join(draw(_expr(depth + 1)) for _ in range(draw(st.integers(2, 5))))
    if r == 6:
        chain = draw(st.lists(st.sampled_from(["trim", "upper", "length", "join(', ')", "default(1)", "tojson",
                                               "bogus", "title"]), min_size=1, max_size=150))
        return draw(_expr(depth + 1)) + "".join(f" | {f}" for f in chain)
    if r == 7:
        return draw(_NAMES) + "." + draw(_NAMES)
    return draw(_expr(depth + 1))


@st.composite
def _template(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        r = draw(st.integers(0, 6))
        if r == 0:
            parts.append(draw(st.text(max_size=20)).replace('"""', ""))
        elif r == 1:
            parts.append("{{ " + draw(_expr()) + " }}")
        elif r == 2 and depth < 3:
            parts.append("{% if " + draw(_expr()) + " %}" + draw(_template(depth + 1)) + "{% endif %}")
        elif r == 3 and depth < 3:
            parts.append("{% for x in " + draw(_NAMES) + " %}" + draw(_template(depth + 1)) + "{% endfor %}")
        elif r == 4:
            n = draw(st.integers(1, 60))
            parts.append("{% if b %}" * n + "x" + "{% endif %}" * draw(st.integers(0, n)))
        elif r == 5:
            parts.append(draw(st.sampled_from(["{{", "{%", "}}", "%}", "{# c #}", "{% raw %}", "\\", "\t", "\ufeff"])))
        else:
            parts.append("{{ f" + str(draw(st.integers(0, 12))) + " }}")
    return "".join(parts)


_FRONT = st.sampled_from([
    "---\nversion: 1.0.0\nowner: a@b.c\npurpose: x.\n---\n",
    "---\nversion: 1.0.0\nmodel: {seed: 9007199254740993, temperature: .inf}\n---\n",
    "---\nversion: 1.0.0\nevaluated: 2020-13-01\n---\n",
    "---\nversion: 1.0.0\nmodel: {seed: " + "1" * 5000 + ", max_tokens: 0x" + "f" * 4000 + "}\n---\n",
    "---\nversion: 1.0.0\npurpose: &a [*a]\n---\n",
    "---\nversion: 1.0.0\na: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: [*c,*c,*c,*c,*c,*c,*c,*c]\n---\n",
    "---\nversion: 1." + "9" * 300 + ".0\n---\n",
    "---\nversion: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n---\n",
    "---\n", "", "---\nversion: 1.0.0\n",
])


@st.composite
def modules(draw) -> str:
    lines = [draw(_FRONT)]
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["input", "tool", "output", "fragment", "type", "junk", "import"]))
        if kind == "input":
            default = draw(st.sampled_from(["", " = " + draw(_NUMBERS), ' = "x"', " = []"]))
            lines.append(f"input {draw(_NAMES)}: {draw(_type())}{default}")
        elif kind == "tool":
            lines.append(f'tool t{i}(a: {draw(_type())} = {draw(_NUMBERS)}) "d"')
        elif kind == "output":
            lines.append("output json {a: " + draw(_type()) + "}")
        elif kind == "type":
            lines.append(f"type T{i} = {draw(_type())}")
        elif kind == "import":
            lines.append(draw(st.sampled_from(["import std.tone", "import b", "from . import x", "import a"])))
        elif kind == "fragment":
            lines.append(f'fragment f{i} """' + draw(_template()) + '"""')
        else:
            lines.append(draw(st.text(max_size=30)))
    lines.append('system """' + draw(_template()) + '"""')
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):  # one random edit anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 3)):]
    return text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(module=modules(), other=modules())
def test_compiler_answers_every_module_with_diagnostics(tmp_path_factory, module: str, other: str) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    write_project(root, {"a.prompt": module, "b.prompt": other})
    started = time.monotonic()
    result = driver.compile_project(driver.open_project(root), use_cache=False, parallel=False)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0 + 0.5 * len(module + other) / 10_000, f"compile took {elapsed:.1f}s"
    for d in result.diagnostics:
        assert d.span is None or (d.span.line >= 1 and d.span.column >= 1), d
    TALLY["modules"] += 2


# --- bundles and inputs --------------------------------------------------------------------

_BASE = json.loads((ROOT / "tests/conformance/input-pattern.json").read_text())["bundle"]

_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-2**60, 2**60), st.floats(allow_nan=False),
                       st.text(max_size=12), st.sampled_from(["^(a+)+$", "(?<=x)", "\\p{L}", "#", "https://x.invalid/s"]))
_JSON = st.recursive(_JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                     max_leaves=20)
_KEYS = ["kind", "path", "value", "args", "arg", "branches", "cond", "body", "else", "var", "iter", "op", "left",
         "right", "name", "pattern", "$ref", "type", "properties", "maxLength", "required", "filter", "text"]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def bundle_cases(draw) -> tuple[str, str]:
    doc = copy.deepcopy(_BASE)
    for _ in range(draw(st.integers(0, 4))):
        spots = list(_paths(doc["spec"]))
        where = draw(st.sampled_from(spots))
        target = doc["spec"]
        for part in where[:-1]:
            target = target[part]
        new = draw(st.one_of(_JSON, st.builds(lambda d: {"kind": "not", "arg": {"kind": "var", "path": ["sku"]}}
                                              if d else {"kind": "if", "branches": [], "else": []}, st.booleans())))
        if where and isinstance(target, (dict, list)):
            if isinstance(target, dict) and draw(st.booleans()):
                target[draw(st.sampled_from(_KEYS))] = new
            else:
                target[where[-1]] = new
    if draw(st.booleans()):
        try:
            doc["hash"] = spec_hash(doc["spec"])
        except Exception:
            pass
    text = json.dumps(doc, ensure_ascii=False)
    mutation = draw(st.integers(0, 7))
    if mutation == 1:
        text = "\ufeff" * draw(st.integers(1, 3)) + text
    elif mutation == 2:
        n = draw(st.integers(100, 5000))
        text = text.replace('"meta": {', '"meta": {"d": ' + "[" * n + "]" * n + ", ", 1)
    elif mutation == 3:
        text = text.replace('"meta": {', '"meta": {"n": ' + "9" * draw(st.integers(300, 5000)) + ", ", 1)
    elif mutation == 4:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=4)) + text[at + draw(st.integers(0, 4)):]
    inputs = draw(st.one_of(
        st.dictionaries(st.sampled_from(["sku", "word", "other"]), _JSON, max_size=3),
        st.builds(lambda n: {"sku": json.loads("[" * n + "]" * n)}, st.integers(150, 900)),
        st.builds(lambda n: {"word": "a" * n + "!"}, st.integers(0, 5000)),
        _JSON))
    return text, json.dumps(inputs, ensure_ascii=False)


def _python_outcome(bundle_text: str, inputs_text: str) -> str:
    try:
        inputs = json.loads(inputs_text)
    except (ValueError, RecursionError):  # the caller's JSON reader refused it: not the runtime's
        return "inputs-not-json"
    try:
        load(bundle_text.encode("utf-8", "surrogatepass")).render(inputs)
        return "rendered"
    except PromptcRuntimeError as exc:
        return type(exc).__name__


NODE_BATCH = """
import { load, parseJson, PromptcRuntimeError } from %s;
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = [];
  for (const [bundle, inputs] of JSON.parse(input)) {
    const t = Date.now();
    let kind, value;
    try { value = parseJson(inputs); } catch { out.push(["inputs-not-json", 0]); continue; }
    try { load(new TextEncoder().encode(bundle)).render(value); kind = "rendered"; }
    catch (err) { kind = err instanceof PromptcRuntimeError ? err.constructor.name : `ESCAPED ${err?.name}: ${String(err?.message).slice(0, 200)}`; }
    out.push([kind, Date.now() - t]);
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def run_js_batch(cases: list[tuple[str, str]]) -> list:
    module = json.dumps((ROOT / "runtimes/js/src/index.mjs").as_uri())
    proc = subprocess.run([NODE, "--input-type=module", "-e", NODE_BATCH % module], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@settings(max_examples=max(EXAMPLES // 5, 3), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(cases=st.lists(bundle_cases(), min_size=30, max_size=30))
def test_runtimes_raise_only_documented_errors(cases: list[tuple[str, str]]) -> None:
    outcomes = []
    for bundle_text, inputs_text in cases:
        started = time.monotonic()
        outcomes.append(_python_outcome(bundle_text, inputs_text))
        assert time.monotonic() - started < 2.0, bundle_text[:300]
    TALLY["bundles_python"] += len(cases)
    if not HAVE_JS:
        return
    for (bundle_text, inputs_text), python, (js, ms) in zip(cases, outcomes, run_js_batch(cases)):
        assert not js.startswith("ESCAPED"), (js, bundle_text[:500], inputs_text[:200])
        assert ms < 2000, bundle_text[:300]
        assert (python == "rendered") == (js == "rendered"), (python, js, bundle_text[:800], inputs_text[:300])
    TALLY["bundles_js"] += len(cases)
