"""Canonical JSON and the bundle hash.

The hash of a bundle covers its `spec` only, serialised as RFC 8785 (JCS) canonical JSON, so
key order, whitespace and anything outside `spec` never change it. The compiler imports these
two functions from here so that writer and reader cannot disagree.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of a JSON value.

    Raises `rfc8785.CanonicalizationError` for values JSON cannot carry exactly
    (integers beyond ±(2**53 - 1), NaN, infinities, non-string keys).
    """
    return rfc8785.dumps(obj)


def spec_hash(spec: dict) -> str:
    """Return `"sha256:" + hex digest` of the canonical JSON of `spec`."""
    return "sha256:" + hashlib.sha256(canonical_json(spec)).hexdigest()
