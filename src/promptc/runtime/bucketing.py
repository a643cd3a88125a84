"""Sticky assignment of a key (a user id, a session) to a rollout arm (DESIGN §6).

One published function, shared with the JavaScript runtime through test vectors
(tests/conformance/bucketing/vectors.json):

    n      = int(first 15 hex digits of sha256("salt:prompt:key"), 16)
    bucket = n / 16**15                       # a number in [0, 1)
    arm    = the first arm i with  n * total < cumulative_weight(i) * 16**15

The comparison is done on integers, so both runtimes pick the same arm even where a
floating-point `bucket` would sit exactly on a boundary. Weights are non-negative integers
(percentages are stored in basis points). The salt stays fixed while a rollout ramps, so a
key in the first 10 % is still in at 50 %: its `n` does not change and the candidate's
cumulative weight only grows.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

SCALE = 16**15


def bucket_number(salt: str, prompt: str, key: str) -> int:
    digest = hashlib.sha256(f"{salt}:{prompt}:{key}".encode("utf-8")).hexdigest()
    return int(digest[:15], 16)


def bucket(salt: str, prompt: str, key: str) -> float:
    """The key's position in [0, 1) for this rollout."""
    return bucket_number(salt, prompt, key) / SCALE


def choose(weights: Sequence[int], salt: str, prompt: str, key: str) -> int:
    """The index of the arm that `key` falls into, given the arms' integer weights."""
    if not weights or any(not isinstance(w, int) or w < 0 for w in weights):
        raise ValueError("weights must be non-negative integers")
    total = sum(weights)
    if total <= 0:
        raise ValueError("at least one weight must be positive")
    scaled = bucket_number(salt, prompt, key) * total
    cumulative = 0
    for index, weight in enumerate(weights):
        cumulative += weight
        if scaled < cumulative * SCALE:
            return index
    raise AssertionError("unreachable: n < 16**15")  # pragma: no cover
