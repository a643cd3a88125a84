"""The sticky bucketing function (DESIGN §6) and its shared vectors.

tests/conformance/bucketing/vectors.json holds the cases both runtimes must reproduce
(runtimes/js/test/bucketing.test.mjs reads the same file); make_bucketing.py writes it.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from promptc.runtime.bucketing import SCALE, bucket, bucket_number, choose

HERE = Path(__file__).resolve().parent / "conformance"
VECTORS = json.loads((HERE / "bucketing" / "vectors.json").read_text(encoding="utf-8"))


def test_vectors_are_generated_by_make_bucketing():
    spec = importlib.util.spec_from_file_location("make_bucketing", HERE / "make_bucketing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (HERE / "bucketing" / "vectors.json").read_text(encoding="utf-8") == module.generate(), \
        "out of date: run python tests/conformance/make_bucketing.py"


def test_vectors_cover_the_hard_cases():
    notes = Counter(c["note"].split(":")[0] for c in VECTORS["choices"])
    assert notes["float trap"] >= 8 and notes["n exactly on the boundary"] == 1
    assert any(len(c["weights"]) >= 64 for c in VECTORS["choices"])
    keys = {c["key"] for c in VECTORS["buckets"]}
    assert "" in keys and any(ord(ch) > 0xFFFF for k in keys for ch in k)
    assert int(VECTORS["scale"]) == SCALE == 16**15
    assert any(int(c["number"]) > 2**53 for c in VECTORS["buckets"])


@pytest.mark.parametrize("case", VECTORS["buckets"], ids=lambda c: repr(c["key"])[:30])
def test_bucket_vectors(case):
    assert bucket_number(case["salt"], case["prompt"], case["key"]) == int(case["number"])
    assert bucket(case["salt"], case["prompt"], case["key"]) == case["bucket"]
    assert 0 <= case["bucket"] < 1


@pytest.mark.parametrize("case", VECTORS["choices"], ids=lambda c: f"{c['note'][:30]}-{c['key'][:12]!r}")
def test_choice_vectors(case):
    assert choose(case["weights"], case["salt"], case["prompt"], case["key"]) == case["arm"]
    assert case["weights"][case["arm"]] > 0


def test_a_ramping_canary_keeps_its_keys():
    """Sticky: a key in the candidate at 1 % is still in at 10 %, 50 % and 99.99 %."""
    salt, prompt = "support.answer@prod#12", "support.answer"
    keys = [f"user-{i}" for i in range(20_000)]
    previous: set[str] = set()
    for percent in (100, 1000, 5000, 9999):  # basis points
        chosen = {k for k in keys if choose([10_000 - percent, percent], salt, prompt, k) == 1}
        assert previous <= chosen
        assert abs(len(chosen) / len(keys) - percent / 10_000) < 0.01
        previous = chosen


def test_arms_get_their_share():
    counts = Counter(choose([1, 2, 7], "s", "p", str(i)) for i in range(30_000))
    for arm, share in ((0, 0.1), (1, 0.2), (2, 0.7)):
        assert abs(counts[arm] / 30_000 - share) < 0.01


def test_a_new_salt_reshuffles():
    same = sum(choose([1, 1], "a", "p", str(i)) == choose([1, 1], "b", "p", str(i)) for i in range(4000))
    assert 1800 < same < 2200


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5, 1]])
def test_weights_must_be_non_negative_integers_with_a_positive_sum(weights):
    with pytest.raises(ValueError):
        choose(weights, "s", "p", "k")
