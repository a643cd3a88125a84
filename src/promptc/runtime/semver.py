"""Semantic-version precedence (semver.org §11), enough to pick the newest bundle."""

from __future__ import annotations

import re

_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z"
)


def semver_key(version: str) -> tuple:
    """A sort key: releases above their pre-releases, numeric identifiers below alphanumeric
    ones and compared as numbers, build metadata ignored. Raises ValueError if not semver."""
    match = _SEMVER.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    major, minor, patch, pre = match.groups()
    core = (int(major), int(minor), int(patch))
    if pre is None:
        return (*core, 1, ())
    ids = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return (*core, 0, ids)
