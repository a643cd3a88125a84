"""Generate tests/conformance/bucketing/vectors.json: the shared test vectors of the sticky
bucketing function (src/promptc/runtime/bucketing.py, DESIGN §6) that every runtime's
`bucket` and `chooseArm` must reproduce exactly.

    python tests/conformance/make_bucketing.py

The file lives in a folder of its own because every `tests/conformance/*.json` is a render
vector. tests/test_bucketing.py fails when the file and this generator disagree.

`number` is the integer from the first 15 hex digits of sha256("salt:prompt:key"), written
as a decimal string because it can exceed 2**53 (JSON readers in JavaScript would round it).
Weights are JSON integers below 2**53. The `float-trap` cases are keys whose bucket, as a
double, sits on the other side of an arm boundary than the exact integer comparison says: a
runtime that compares floats gets them wrong.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from promptc.runtime.bucketing import SCALE, bucket, bucket_number, choose  # noqa: E402

OUT = Path(__file__).resolve().parent / "bucketing" / "vectors.json"

KEYS = [
    "", "user-1", "user-2", "42", "alice@example.com", "ÄÖÜ-straße", "東京都", "😀👩‍👩‍👧",
    "e\u0301", "مرحبا", " leading and trailing ", "colon:in:key", "tab\tnew\nline", "x" * 1000,
    "\u0000nul", "\U0010ffff",
]
SALTS = ["support.answer@prod#6", "", "salt with spaces", "ünïcödé-salt"]
PROMPTS = ["support.answer", "sales.outreach", ""]


def number(salt: str, prompt: str, key: str) -> int:
    """The definition, spelled out apart from the function under test."""
    return int(hashlib.sha256(f"{salt}:{prompt}:{key}".encode("utf-8")).hexdigest()[:15], 16)


def bucket_case(salt: str, prompt: str, key: str) -> dict:
    n = number(salt, prompt, key)
    assert n == bucket_number(salt, prompt, key)
    return {"salt": salt, "prompt": prompt, "key": key, "number": str(n), "bucket": bucket(salt, prompt, key)}


def choice(weights: list[int], salt: str, prompt: str, key: str, note: str) -> dict:
    return {"note": note, "weights": weights, "salt": salt, "prompt": prompt, "key": key,
            "number": str(number(salt, prompt, key)), "arm": choose(weights, salt, prompt, key)}


def float_arm(weights: list[int], n: int) -> int:
    """What a runtime comparing doubles would pick: the trap the integer comparison avoids."""
    position, total, cumulative = n / SCALE, sum(weights), 0
    for index, weight in enumerate(weights):
        cumulative += weight
        if position < cumulative / total:
            return index
    return len(weights) - 1


def choices() -> list[dict]:
    salt, prompt = "support.answer@prod#6", "support.answer"
    cases = []
    for weights, note in (([9000, 1000], "a 10 % canary in basis points"), ([5000, 5000], "an even A/B split"),
                          ([1, 1, 1], "three equal arms"), ([0, 1], "a zero-weight arm is never chosen"),
                          ([1, 0, 0], "zero-weight arms after the only live one"),
                          ([10**12, 3 * 10**12, 7], "weights whose products exceed 2**64")):
        cases += [choice(weights, salt, prompt, key, note) for key in KEYS]
    many = [(i * 37) % 101 for i in range(1, 65)]
    cases += [choice(many, salt, prompt, f"user-{i}", "64 arms of uneven weights") for i in range(40)]
    cases += [choice([3, 5, 2], s, p, "user-7", "other salts and prompts") for s in SALTS for p in PROMPTS]
    # Extreme weights: 1 in 10,000 on either side, with keys that land in the thin arm.
    for weights, thin in (([1, 9999], 0), ([9999, 1], 1)):
        found = [k for k in (f"user-{i}" for i in range(200_000)) if choose(weights, salt, prompt, k) == thin][:5]
        cases += [choice(weights, salt, prompt, k, f"extreme weights {weights}: a key in the thin arm")
                  for k in found]
        cases += [choice(weights, salt, prompt, k, f"extreme weights {weights}") for k in KEYS[:4]]
    # Float traps: total 2**50, the boundary one weight unit above or below n / 2**10.
    traps = 0
    for i in range(10_000):
        key = f"trap-{i}"
        n = number(salt, prompt, key)
        for w0 in (n // 1024, n // 1024 + 1):
            weights = [w0, 2**50 - w0]
            if float_arm(weights, n) != choose(weights, salt, prompt, key):
                cases.append(choice(weights, salt, prompt, key, "float trap: a double comparison picks the other arm"))
                traps += 1
        if traps >= 8:
            break
    assert traps >= 8, "no float traps found"
    # Exact boundaries: n itself as a cumulative weight (total 2**60 is beyond 2**53, so
    # scale down by 2**10 where n is a multiple of 1024).
    for i in range(100_000):
        key = f"edge-{i}"
        n = number(salt, prompt, key)
        if n % 1024 == 0:
            w0 = n // 1024
            cases.append(choice([w0, 2**50 - w0], salt, prompt, key, "n exactly on the boundary: the next arm"))
            cases.append(choice([w0 + 1, 2**50 - w0 - 1], salt, prompt, key, "n one weight unit below the boundary: this arm"))
            break
    return cases


def generate() -> str:
    buckets = [bucket_case(s, p, k) for s in SALTS[:2] for p in PROMPTS[:2] for k in KEYS]
    document = {
        "description": "Sticky bucketing (DESIGN §6): n = int(first 15 hex digits of sha256(UTF-8(salt + ':' + "
                       "prompt + ':' + key)), 16); bucket = n / 16**15; the arm is the first i with "
                       "n * sum(weights) < (w0 + … + wi) * 16**15, compared as integers. `number` is a "
                       "decimal string (it may exceed 2**53). Generated by tests/conformance/make_bucketing.py.",
        "scale": str(SCALE),
        "buckets": buckets,
        "choices": choices(),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
