"""Unicode case mapping of the pinned Unicode version (docs/bundle-format.md, section 9).

`upper`, `lower` and `title` never use the host's Unicode data, which differs between
Python versions (and from JavaScript's): they read `casing.json`, written by
scripts/make_casing.py from one Unicode version, the same file the JavaScript runtime ships.
ASCII text takes the host's own methods, which agree with every Unicode version there.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

SIGMA = "\u03a3"


class Tables(NamedTuple):
    version: str
    upper: dict[str, str]
    lower: dict[str, str]
    cased: frozenset[str]
    case_ignorable: frozenset[str]


def _points(ranges: list[list[int]]) -> frozenset[str]:
    return frozenset(chr(p) for start, end in ranges for p in range(start, end + 1))


@lru_cache(maxsize=1)
def tables() -> Tables:
    data = json.loads((resources.files("promptc") / "runtime" / "casing.json").read_text("utf-8"))
    return Tables(data["unicode"], {chr(cp): s for cp, s in data["upper"]}, {chr(cp): s for cp, s in data["lower"]},
                  _points(data["cased"]), _points(data["case_ignorable"]))


def unicode_version() -> str:
    """The Unicode version of the case tables (the one the bundle format pins)."""
    return tables().version


def upper(s: str) -> str:
    """Full upper-case mapping, no language tailoring."""
    if s.isascii():
        return s.upper()
    table = tables().upper
    return "".join([table.get(c, c) for c in s])


def lower(s: str) -> str:
    """Full lower-case mapping, no language tailoring, with Final_Sigma for Σ."""
    if s.isascii():
        return s.lower()
    t = tables()
    out = [t.lower.get(c, c) for c in s]
    if SIGMA in s:
        for i, c in enumerate(s):
            if c == SIGMA:
                out[i] = "\u03c2" if final_sigma(s, i, t) else "\u03c3"
    return "".join(out)


def final_sigma(s: str, i: int, t: Tables) -> bool:
    """Σ at i is final: skipping case-ignorable characters, a cased one comes before it and
    none comes after it. (A character both cased and case-ignorable is skipped.)"""
    j = i - 1
    while j >= 0 and s[j] in t.case_ignorable:
        j -= 1
    if j < 0 or s[j] not in t.cased:
        return False
    j = i + 1
    while j < len(s) and s[j] in t.case_ignorable:
        j += 1
    return j == len(s) or s[j] not in t.cased
