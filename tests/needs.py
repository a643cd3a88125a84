"""What the full test run needs beyond `pip install -e '.[test]'`, and how to get it.

A test that cannot run skips with `missing(KEY, detail)`; the reason starts with the
thing's name, and `summary` (called from conftest's pytest_terminal_summary) groups the
run's skips by what is missing, with the command that installs it. `.ci/run` installs
everything listed here.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

#: KEY → (what is missing, how to install it)
NEEDS: dict[str, tuple[str, str]] = {
    "node": ("Node.js 18+ and the JavaScript runtime's packages",
             "apt-get install nodejs npm && (cd runtimes/js && npm ci)"),
    "nunjucks": ("Node.js and Nunjucks (tests/nunjucks)",
                 "apt-get install nodejs npm && (cd tests/nunjucks && npm ci)"),
    "docker-registry": ("the OCI registry server /usr/bin/docker-registry",
                        "apt-get install docker-registry"),
    "postgresql": ("a PostgreSQL server (or PROMPTC_TEST_POSTGRES=postgresql://…)",
                   "apt-get install postgresql (.ci/run starts a throwaway server on 127.0.0.1)"),
    "chromium": ("Debian's Chromium at /usr/bin/chromium", "apt-get install chromium"),
    "python-extra": ("a Python package of the test extra", "pip install -e '.[test]'"),
    "python-3.11": ("Python 3.11 or newer", "run the suite with Python 3.11+"),
}

_PREFIX = "missing "


def missing(key: str, detail: str = "") -> str:
    """The skip reason for a test that needs NEEDS[key]."""
    what, how = NEEDS[key]
    return f"{_PREFIX}{what} [{key}]" + (f": {detail}" if detail else "") + f"; install: {how}"


def key_of(reason: str) -> str | None:
    """The NEEDS key a skip reason made by `missing` names, else None."""
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    if not reason.startswith(_PREFIX):
        return None
    head = reason.split(";", 1)[0].split(":", 1)[0]
    if head.endswith("]") and "[" in head:
        key = head[head.rindex("[") + 1:-1]
        return key if key in NEEDS else None
    return None


def summary(reasons: Iterable[str]) -> list[str]:
    """Lines grouping skip reasons by what is missing: `N skipped: WHAT; install: HOW`,
    the largest group first, then reasons that name nothing in NEEDS."""
    counts: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for reason in reasons:
        key = key_of(reason)
        if key is None:
            other[reason.removeprefix("Skipped: ")] += 1
        else:
            counts[key] += 1
    lines = [f"{n:>4} skipped, missing {NEEDS[key][0]}; install: {NEEDS[key][1]}"
             for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += [f"{n:>4} skipped: {reason}" for reason, n in sorted(other.items(), key=lambda kv: (-kv[1], kv[0]))]
    return lines
