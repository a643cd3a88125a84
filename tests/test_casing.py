"""`upper`, `lower` and `title` follow the Unicode version the bundle format pins, in both
runtimes, whatever Unicode data the host has.

Many code points are checked per call: each in a few contexts (alone, and next to Σ, where
Final_Sigma decides σ or ς), the pieces joined by "\\n". A newline is white space (so `title`
starts a new run after it), is neither cased nor case-ignorable (so Final_Sigma never looks
past it) and no mapping produces one, so splitting the result on "\\n" gives exactly the
result of each piece on its own. By default every assigned code point is checked alone, and
every code point that is cased, case-ignorable or has a mapping (in the pinned version, this
Python's or this Node.js's) next to Σ in four placements; PROMPTC_CASING_FULL=1 checks every
code point (assigned or not) in every context, about a minute.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import unicodedata
from pathlib import Path

import pytest

from promptc.runtime import casing
from promptc.runtime.render import FILTERS, WHITESPACE

from .js_batch import JS_SKIP, js_batch

ROOT = Path(__file__).resolve().parents[1]
FULL = bool(os.environ.get("PROMPTC_CASING_FULL"))
ALL = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and cp != 0x0A]
# Assigned in this Python's Unicode version (private use included); code points assigned
# later that the host's Node.js maps are added by `interesting`.
ASSIGNED = [cp for cp in ALL if unicodedata.category(chr(cp)) != "Cn"]
CONTEXTS = {
    "alone": lambda c: c,
    "before Σ": lambda c: c + "Σ",
    "after Σ": lambda c: "Σ" + c,
    "between a cased letter and Σ": lambda c: "a" + c + "Σ",
    "after a cased letter and Σ": lambda c: "AΣ" + c,
}


def _make_casing():
    spec = importlib.util.spec_from_file_location("make_casing", ROOT / "scripts" / "make_casing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def interesting() -> list[int]:
    """Code points whose case or Final_Sigma role is not trivial in the pinned version or in
    this host's Python or Node.js (where they would differ without the tables)."""
    t = casing.tables()
    chars = set(t.upper) | set(t.lower) | t.cased | t.case_ignorable
    chars |= {chr(cp) for cp in ALL if chr(cp).upper() != chr(cp) or chr(cp).lower() != chr(cp)}
    if not JS_SKIP:  # Node.js's own mappings (its Unicode version is usually newer)
        probe = "\n".join(chr(cp) for cp in ALL)
        for name in ("native-upper", "native-lower"):
            out = js_batch([{"filter": name, "values": [probe]}])[0]["results"][0].split("\n")
            chars |= {chr(cp) for cp, mapped in zip(ALL, out) if mapped != chr(cp)}
    return sorted(ord(c) for c in chars if c != "\n")


def cases(points: list[int], contexts: list[str]) -> list[tuple[str, str, list[str]]]:
    return [(ctx, "\n".join(CONTEXTS[ctx](chr(cp)) for cp in points), [CONTEXTS[ctx](chr(cp)) for cp in points])
            for ctx in contexts]


def plan() -> list[tuple[str, list[int], list[str]]]:
    """(filter, code points, contexts) to check."""
    if FULL:
        return [(f, ALL, list(CONTEXTS)) for f in ("upper", "lower", "title")]
    some = interesting()
    alone = sorted(set(ASSIGNED) | set(some))
    return [("upper", alone, ["alone"]), ("lower", alone, ["alone"]),
            ("upper", some, list(CONTEXTS)[1:]), ("lower", some, list(CONTEXTS)[1:]), ("title", some, list(CONTEXTS))]


def first_differences(pieces: list[str], a: list[str], b: list[str], limit: int = 5) -> list[str]:
    return [f"{p!r} ({' '.join(f'U+{ord(c):04X}' for c in p)}): {x!r} vs {y!r}"
            for p, x, y in zip(pieces, a, b) if x != y][:limit]


def test_the_tables_are_the_pinned_versions_and_both_runtimes_ship_the_same_file() -> None:
    py = (ROOT / "src" / "promptc" / "runtime" / "casing.json").read_bytes()
    js = (ROOT / "runtimes" / "js" / "src" / "casing.json").read_bytes()
    assert py == js, "run `python scripts/make_casing.py`"
    assert casing.unicode_version() == _make_casing().UNICODE_VERSION
    assert casing.unicode_version() in (ROOT / "docs" / "bundle-format.md").read_text("utf-8")


PINNED_HERE = unicodedata.unidata_version == _make_casing().UNICODE_VERSION


@pytest.mark.skipif(not PINNED_HERE, reason=f"this Python has Unicode {unicodedata.unidata_version}, not the "
                    "pinned version: the tables cannot be regenerated here")
def test_the_tables_are_what_the_generator_writes() -> None:
    assert _make_casing().text() == (ROOT / "src" / "promptc" / "runtime" / "casing.json").read_text("utf-8")


def test_both_runtimes_agree_on_every_code_point_alone_and_next_to_sigma() -> None:
    """The Python runtime against the JavaScript runtime (through one node process) and, on a
    Python of the pinned Unicode version, against that Python's own `str` methods."""
    word = re.compile(f"[^{re.escape(WHITESPACE)}]+")
    native = {"upper": str.upper, "lower": str.lower,
              "title": lambda s: word.sub(lambda m: m[0][0].upper() + m[0][1:].lower(), s)}
    work = [(name, ctx, joined, pieces) for name, points, contexts in plan()
            for ctx, joined, pieces in cases(points, contexts)]
    answers = [None] * len(work) if JS_SKIP else js_batch([{"filter": name, "values": [joined]}
                                                           for name, _, joined, _ in work])
    checked = 0
    for (name, ctx, joined, pieces), answer in zip(work, answers):
        python = FILTERS[name](joined).split("\n")
        assert len(python) == len(pieces), (name, ctx)
        if answer is not None:
            js = answer["results"][0].split("\n")
            assert python == js, (name, ctx, "Python vs JavaScript", first_differences(pieces, python, js))
        if PINNED_HERE:
            own = native[name](joined).split("\n")
            assert python == own, (name, ctx, "runtime vs str methods", first_differences(pieces, python, own))
        checked += len(pieces)
    assert checked >= 2 * len(ASSIGNED)
    if JS_SKIP:
        pytest.skip(f"checked the Python runtime only: {JS_SKIP}")


def test_examples_from_the_format() -> None:
    f = FILTERS
    assert f["lower"]("ʕΣ ΑΣʕ") == "ʕς ασʕ"  # U+0295 is a cased letter in Unicode 14.0
    assert f["lower"]("ΟΔΟΣ Σ") == "οδος σ"
    assert f["lower"]("ʰΣ") == "ʰσ"  # U+02B0 is cased and case-ignorable: skipped, nothing cased before
    assert f["lower"]("AʰΣ") == "aʰς"
    assert f["upper"]("ß ŉ ﬁ \u0390 ǅ") == "SS ʼN FI \u0399\u0308\u0301 Ǆ"
    assert f["lower"]("İ") == "i\u0307"
    assert f["title"]("ΣΑΣ ßen ǆemal 𐐨𐐨") == "Σας SSen Ǆemal 𐐀𐐨"
    assert f["upper"]("\u019b\ua7c0") == "\u019b\ua7c0"  # mapped only from Unicode 15/16 on: not in 14.0
