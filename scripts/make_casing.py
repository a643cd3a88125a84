"""Write the Unicode case tables both runtimes use for `upper`, `lower` and `title`.

    python scripts/make_casing.py          # rewrite the two copies
    python scripts/make_casing.py --check  # exit 1 if they differ from what it would write

The bundle format pins one Unicode version (docs/bundle-format.md, section 9), so a
rendering never depends on the host's Unicode data. The tables come from the Unicode
Character Database of that version as CPython compiles it into `str.upper`, `str.lower`
and its Final_Sigma rule, so this must run on a Python whose `unicodedata.unidata_version`
is the pinned one (CPython 3.11 for 14.0.0); it refuses any other.

The file holds, for every code point whose full case mapping (UnicodeData plus the
unconditional SpecialCasing mappings) is not itself, that mapping (`upper`, `lower`), and
the code points with the properties the Final_Sigma rule reads (`cased`: Lowercase,
Uppercase or Lt; `case_ignorable`: Case_Ignorable), as sorted inclusive ranges. The two
properties are read from CPython's own Final_Sigma decisions and checked against each other.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

UNICODE_VERSION = "14.0.0"
ROOT = Path(__file__).resolve().parents[1]
TARGETS = [ROOT / "src" / "promptc" / "runtime" / "casing.json", ROOT / "runtimes" / "js" / "src" / "casing.json"]
SIGMA, FINAL = "\u03a3", "\u03c2"


def _ranges(points: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for p in points:
        if out and out[-1][1] == p - 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


def tables() -> dict:
    if unicodedata.unidata_version != UNICODE_VERSION:
        raise SystemExit(f"make_casing: this Python has Unicode {unicodedata.unidata_version}; the format pins "
                         f"{UNICODE_VERSION} (run it with CPython 3.11)")
    upper, lower, cased, ignorable = [], [], [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if c.upper() != c:
            upper.append([cp, c.upper()])
        if c.lower() != c:
            lower.append([cp, c.lower()])
        is_cased = c.islower() or c.isupper() or unicodedata.category(c) == "Lt"
        # CPython's Final_Sigma: Σ after c (with a cased letter before it) is final when c
        # is case-ignorable or cased; Σ right after c is final when c is cased and not ignorable.
        after_cased = ("A" + c + SIGMA).lower().endswith(FINAL)
        alone = (c + SIGMA).lower().endswith(FINAL)
        is_ignorable = after_cased and not alone
        if not is_ignorable and alone != is_cased:
            raise SystemExit(f"make_casing: U+{cp:04X}: cased is {is_cased} but Final_Sigma says {alone}")
        if is_cased:
            cased.append(cp)
        if is_ignorable:
            ignorable.append(cp)
    return {"unicode": UNICODE_VERSION, "upper": upper, "lower": lower,
            "cased": _ranges(cased), "case_ignorable": _ranges(ignorable)}


def text() -> str:
    data = tables()
    lines = ["{", f'"unicode": {json.dumps(data["unicode"])},']
    for key in ("upper", "lower"):
        pairs = ",\n".join(json.dumps(p, ensure_ascii=False) for p in data[key])
        lines.append(f'"{key}": [\n{pairs}\n],')
    for key in ("cased", "case_ignorable"):
        comma = "," if key == "cased" else ""
        lines.append(f'"{key}": {json.dumps(data[key], separators=(",", ":"))}{comma}')
    return "\n".join(lines) + "\n}\n"


def main(argv: list[str]) -> int:
    want = text()
    if "--check" in argv:
        stale = [str(t.relative_to(ROOT)) for t in TARGETS if not t.is_file() or t.read_text("utf-8") != want]
        for name in stale:
            print(f"out of date: {name}")
        return 1 if stale else 0
    for target in TARGETS:
        target.write_text(want, "utf-8")
    print(f"wrote the Unicode {UNICODE_VERSION} case tables to " + ", ".join(str(t.relative_to(ROOT)) for t in TARGETS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
