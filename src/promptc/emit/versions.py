"""Semantic versions (semver 2.0.0) for prompt modules.

A prompt's version is checked against the lockfile (DESIGN §5): the build needs to know
which component a change increased and what the smallest correct next version is. This
module is the arithmetic for that, and nothing else.

Rules, kept plain on purpose:

- Versions follow semver 2.0.0 strictly: `MAJOR.MINOR.PATCH`, an optional `-prerelease`
  and an optional `+build`. Build metadata is accepted and ignored for precedence.
- `bump` always increments the named component, even below 1.0.0: a breaking change to
  `0.4.2` gives `1.0.0`, not `0.5.0`. The 0.x convention ("minor means breaking") would
  make the lock's rules depend on the major number; one rule for every version is easier to
  review. A bump drops any prerelease and build metadata.
- `bump_kind` names the highest component that increased. When only the prerelease part
  rose (`1.2.0-rc.1` to `1.2.0-rc.2`, or `1.2.0-rc.1` to `1.2.0`) it reports `"patch"`:
  a prerelease is never taken to stand in for its release's major or minor bump.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

BumpKind = Literal["major", "minor", "patch"]

#: Change levels from weakest to strongest; `None` means "nothing changed".
LEVELS: tuple[Optional[str], ...] = (None, "patch", "minor", "major")

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<prerelease>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def parse_semver(s: str) -> tuple[int, int, int, str]:
    """Parse `s` into `(major, minor, patch, prerelease)`; prerelease is `""` when absent.

    Raises `ValueError` whose message quotes the text and says what the form must be.
    """
    if not isinstance(s, str):
        raise ValueError(f"version must be a string like 1.2.3, not {type(s).__name__}")
    m = _SEMVER.fullmatch(s)
    if m is None:
        hint = ""
        if s.startswith(("v", "V")) and _SEMVER.fullmatch(s[1:]):
            hint = f" (drop the leading {s[0]!r}: {s[1:]})"
        elif re.fullmatch(r"[0-9]+(\.[0-9]+)?", s):
            hint = " (all three components are required)"
        elif re.search(r"(^|\.)0[0-9]", s.split("+")[0].split("-")[0]):
            hint = " (numbers must not have leading zeros)"
        raise ValueError(
            f"invalid version {s!r}: expected a semantic version MAJOR.MINOR.PATCH "
            f"with an optional -prerelease and +build, e.g. 1.4.0 or 2.0.0-rc.1{hint}"
        )
    return (int(m["major"]), int(m["minor"]), int(m["patch"]), m["prerelease"] or "")


def _compare_prerelease(a: str, b: str) -> int:
    """Semver §11 precedence of two prerelease strings (`""` means a release)."""
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    for x, y in zip(a.split("."), b.split(".")):
        if x == y:
            continue
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            return -1 if int(x) < int(y) else 1
        if xn != yn:
            return -1 if xn else 1  # numeric identifiers sort before alphanumeric ones
        return -1 if x < y else 1
    na, nb = len(a.split(".")), len(b.split("."))
    return (na > nb) - (na < nb)


def compare(a: str, b: str) -> int:
    """Semver precedence: -1 when `a < b`, 0 when equal (build metadata ignored), 1 when `a > b`."""
    pa, pb = parse_semver(a), parse_semver(b)
    if pa[:3] != pb[:3]:
        return -1 if pa[:3] < pb[:3] else 1
    return _compare_prerelease(pa[3], pb[3])


def bump(version: str, kind: str) -> str:
    """Return `version` with component `kind` ("major", "minor" or "patch") incremented.

    Lower components reset to 0 and prerelease/build parts are dropped; `major` always
    increments the major number, also for 0.x versions.
    """
    major, minor, patch, _ = parse_semver(version)
    if kind == "major":
        return f"{major + 1}.0.0"
    if kind == "minor":
        return f"{major}.{minor + 1}.0"
    if kind == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown bump kind {kind!r}: expected 'major', 'minor' or 'patch'")


def bump_kind(old: str, new: str) -> Optional[str]:
    """Which component the step from `old` to `new` increased.

    Returns "major", "minor" or "patch"; `None` when the versions have equal precedence;
    "decrease" when `new` sorts before `old`.
    """
    c = compare(old, new)
    if c == 0:
        return None
    if c > 0:
        return "decrease"
    po, pn = parse_semver(old), parse_semver(new)
    if pn[0] > po[0]:
        return "major"
    if pn[0] == po[0] and pn[1] > po[1]:
        return "minor"
    return "patch"


def level_rank(level: Optional[str]) -> int:
    """Position of a change level in `LEVELS` (None < patch < minor < major)."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown change level {level!r}") from None


def max_level(*levels: Optional[str]) -> Optional[str]:
    """The strongest of the given change levels (`None` when there are none)."""
    return max(levels, key=level_rank, default=None)
