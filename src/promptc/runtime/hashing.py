"""Canonical JSON and the bundle hash.

The hash of a bundle covers its `spec` only, serialised as RFC 8785 (JCS) canonical JSON, so
key order, whitespace and anything outside `spec` never change it. The compiler imports these
two functions from here so that writer and reader cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import rfc8785


_MAX_INT = 2**53 - 1


def canonical_json(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of a JSON value.

    Raises `rfc8785.CanonicalizationError` for values JSON cannot carry exactly
    (integers beyond ±(2**53 - 1), NaN, infinities, non-string keys).

    Values whose keys all lie in the Basic Multilingual Plane and whose floats print the
    same in both languages serialise to the same bytes with the C JSON encoder (same
    escapes, and UTF-16 key order equals code point order there), which is an order of
    magnitude faster; everything else goes through `rfc8785`. A property test holds the
    two paths to the same bytes.
    """
    plain = _plain(obj)
    if plain:
        try:
            value = _integral_floats_as_ints(obj) if plain == _NORMALIZE else obj
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 report it
            pass
    return rfc8785.dumps(obj)


_NORMALIZE = 2


def _integral_floats_as_ints(o: Any) -> Any:
    """JCS writes 1.0 as `1`: the same text as the integer, so the integer may stand in."""
    t = type(o)
    if t is float:
        return int(o) if o.is_integer() else o
    if t is dict:
        return {k: _integral_floats_as_ints(v) for k, v in o.items()}
    if t is list:
        return [_integral_floats_as_ints(v) for v in o]
    return o


def _plain(obj: Any) -> int:
    """0: needs rfc8785; 1: the C encoder gives JCS bytes; 2: the same once integral floats
    are written as integers."""
    result = 1
    stack = [obj]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        o = pop()
        t = type(o)
        if t is str or t is bool or o is None:
            continue
        if t is int:
            if -_MAX_INT <= o <= _MAX_INT:
                continue
            return 0
        if t is dict:
            for k, v in o.items():
                if type(k) is not str or (k and max(k) > "\uffff"):
                    return 0
                push(v)
            continue
        if t is list:
            extend(o)
            continue
        if t is float:
            # Python's repr and ECMAScript's Number.prototype.toString agree on the
            # shortest round-trip digits; their layouts agree for non-integral values in
            # [1e-4, 1e16) (integral floats print as "1.0" in Python but "1" in JCS).
            if math.isfinite(o) and 1e-4 <= abs(o) < 1e16 and not o.is_integer():
                continue
            if math.isfinite(o) and o.is_integer() and abs(o) <= _MAX_INT:
                result = _NORMALIZE
                continue
            return 0
        return 0
    return result


def spec_hash(spec: dict) -> str:
    """Return `"sha256:" + hex digest` of the canonical JSON of `spec`."""
    return "sha256:" + hashlib.sha256(canonical_json(spec)).hexdigest()
