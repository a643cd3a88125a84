"""`pattern` matching: linear time, the same answers in both runtimes, and ECMA-262's.

The oracle is V8's own RegExp with the `u` flag, on short strings (where backtracking is
harmless); the Python and JavaScript automata must give its answer for every random pattern
of the subset, and refuse what is outside it with a `PatternError` in both. The JavaScript
side runs in one node process for the whole batch. PROMPTC_PATTERN_CASES sets how many
patterns (default 300; `scripts/fuzz.py` runs more).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from promptc.runtime.pattern import PatternError, compile_pattern

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
CASES = int(os.environ.get("PROMPTC_PATTERN_CASES", "300"))

_ATOMS = ["a", "b", "é", "😀", ".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "[ab]", "[^a]", "[a-c\\d]",
          "[\\s\\-]", "\\b", "^", "$", "\\.", "\\n", "\\u00e9", "\\u{1F600}", "\\x41", " ", "\\t", "[.]"]
_QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "+?", "{0,2}?"]
_ALPHABET = ["a", "b", "c", "A", "1", "_", " ", "\n", "\r", "\t", "é", "😀", ".", "-", "\u2028", "\u00a0", "\ufeff", "٣"]


def random_pattern(rnd: random.Random, depth: int = 0) -> str:
    r = rnd.random()
    if depth > 3 or r < 0.35:
        return rnd.choice(_ATOMS)
    if r < 0.55:
        return random_pattern(rnd, depth + 1) + random_pattern(rnd, depth + 1)
    if r < 0.7:
        return "(" + random_pattern(rnd, depth + 1) + "|" + random_pattern(rnd, depth + 1) + ")"
    atom = rnd.choice(["(?:", "("]) + random_pattern(rnd, depth + 1) + ")"
    return atom + rnd.choice(_QUANTIFIERS)


def random_text(rnd: random.Random) -> str:
    return "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 7)))


NODE_SCRIPT = """
import { compilePattern, PatternError } from %s;
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = [];
  for (const [pattern, texts] of JSON.parse(input)) {
    let ours = null, native = null;
    try { const p = compilePattern(pattern); ours = texts.map((t) => p.test(t)); }
    catch (err) { if (!(err instanceof PatternError)) throw err; ours = "refused"; }
    try { const r = new RegExp(pattern, "u"); native = texts.map((t) => r.test(t)); }
    catch { native = "syntax"; }
    out.push([ours, native]);
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def run_node(cases: list[tuple[str, list[str]]]) -> list:
    module = json.dumps((ROOT / "runtimes" / "js" / "src" / "pattern.mjs").as_uri())
    proc = subprocess.run([NODE, "--input-type=module", "-e", NODE_SCRIPT % module], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout)


def differential(count: int, seed: int) -> int:
    """Compare Python, JavaScript and V8 on `count` random patterns; return the strings compared."""
    rnd = random.Random(seed)
    cases = [(random_pattern(rnd), [random_text(rnd) for _ in range(12)]) for _ in range(count)]
    answers = run_node(cases)
    compared = 0
    for (pattern, texts), (js, native) in zip(cases, answers):
        try:
            compiled = compile_pattern(pattern)
            python = [compiled.search(t) for t in texts]
        except PatternError:
            python = "refused"
        assert python == js, (pattern, texts, python, js)
        if python == "refused":
            # only what ECMA-262 itself rejects, or a quantified assertion (which V8 accepts
            # outside the u flag's rules for lookarounds but this subset does not)
            continue
        assert native != "syntax", (pattern, "the subset accepted what ECMA-262 rejects")
        assert python == native, (pattern, texts, python, native)
        compared += len(texts)
    return compared


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript runtime needs Node.js 18 or newer")
def test_both_automata_agree_with_ecma262() -> None:
    assert differential(CASES, seed=15) > CASES


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|aa)+$", "^(.*a){20}$", "^(\\w+\\s?)*$", "(x+x+)+y"])
def test_catastrophic_patterns_take_linear_time(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    started = time.monotonic()
    for n in (30, 3000):
        assert compiled.search("a" * n + "!") is False or pattern == "^(\\w+\\s?)*$"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("pattern, reason", [
    ("^(a)\\1$", "backreference"), ("(?=a)", "lookahead"), ("(?<!a)b", "negative lookbehind"),
    ("(?<name>a)", "named group"), ("\\p{Lu}", "Unicode property escape"), ("a{2,1}", "out of order"),
    ("a" * 1001, "the limit is 1000"), ("(?:a{100}){100}", "more than 10,000 states"), ("(", "missing `)`"),
    ("[b-a]", "out of order"), ("\\B", "`\\B` is outside"), ("*", "nothing to repeat"), ("^*", "quantifier after an assertion"),
])
def test_outside_the_subset_is_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert reason in str(caught.value)
