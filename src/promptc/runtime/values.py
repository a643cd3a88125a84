"""JSON value semantics shared by the renderer: type names, truthiness, stringify, tojson
and deep equality, exactly as docs/ir.md defines them for every promptc runtime."""

from __future__ import annotations

import json
from typing import Any


def type_name(value: Any) -> str:
    """The JSON type of a value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def truthy(value: Any) -> bool:
    """null, false, 0, 0.0, "", [] and {} are false; Python's bool() agrees on JSON values."""
    return bool(value)


def tojson(value: Any) -> str:
    """JSON with sorted keys, `", "` / `": "` separators and non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def stringify(value: Any) -> str:
    """The text an `expr` node renders for a value."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int in Python
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value)  # shortest round trip; integral values keep ".0"
    return tojson(value)


def is_number(value: Any) -> bool:
    """True for JSON numbers; booleans are not numbers even though Python says so."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """JSON deep equality: 1 == 1.0, but true != 1 and "1" != 1."""
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None
