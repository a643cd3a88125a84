"""The limits both runtimes enforce, and the compiler keeps its output within.

docs/limits.md lists each one with the error it gives; the JS runtime has the same numbers
(`runtimes/js/src/limits.js`), and a test holds the two tables to each other.
"""

from __future__ import annotations

import json
from typing import Any

#: Integers must lie in ±(2^53 − 1): the range a JSON number carries exactly in every language.
MAX_SAFE_INTEGER = 2**53 - 1
#: A JSON document (bundle or inputs) nests arrays and objects at most this deep.
MAX_JSON_DEPTH = 160
#: A bundle's message content nests `if`/`for` bodies and expressions at most this deep
#: (see `ir_depth`).
MAX_IR_DEPTH = 32
#: A string in an inputs object or a bundle is at most this many characters (UTF-16 units in JS).
MAX_STRING_LENGTH = 4 * 1024 * 1024
#: A number in a bundle's JSON is written in at most this many characters.
MAX_NUMBER_LENGTH = 400
#: A bundle or an inputs file is at most this many bytes.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: An error message quotes at most this many characters of a value's JSON.
MAX_QUOTED = 80


def show(value: Any) -> str:
    """A value for an error message: its JSON, cut to MAX_QUOTED characters and marked `…`
    when longer (the encoder stops early, so a huge value costs no more than its prefix)."""
    out, size = [], 0
    for chunk in json.JSONEncoder(ensure_ascii=False, check_circular=False).iterencode(value):
        out.append(chunk)
        size += len(chunk)
        if size > MAX_QUOTED:
            return "".join(out)[:MAX_QUOTED] + "…"
    return "".join(out)


def ir_depth(content: list[dict]) -> int:
    """How deep `if`/`for` bodies and expressions nest in bundle content: each `if`, `for`
    and operator node (filter, compare, and, or, not) is one level (iteratively)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(content, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, list):
            stack.extend((v, depth) for v in value)
        elif isinstance(value, dict):
            kind = value.get("kind")
            if kind in ("if", "for", "filter", "compare", "and", "or", "not"):
                depth += 1
                deepest = max(deepest, depth)
            stack.extend((v, depth) for k, v in value.items() if isinstance(v, (list, dict)))
    return deepest


def json_depth(value: Any, stop: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and dicts nest in a JSON-like value (iteratively; a scalar is 0).

    Returns as soon as the depth passes `stop`, so a value that contains itself (a cycle)
    counts as too deep instead of looping."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop:
                return deepest
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def unportable_number(value: Any) -> Any:
    """The first number in a JSON-like value that a bundle cannot carry exactly (an integer
    beyond ±(2^53 − 1), NaN or an infinity), or None. Iterative; call after `json_depth`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int) and not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            return item
        elif isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return item
    return None
